"""SOUL.md and HEARTBEAT.md: read, write, versions, diff and rollback (one agent at a time).

The same five routes exist for both files, under ``/api/soul`` and ``/api/heartbeat/heartbeat.md``
(the seed's path for HEARTBEAT.md):

* ``GET  <base>?agent=`` — the file now (HEARTBEAT.md also with parse hints);
* ``PUT  <base>`` ``{content}`` — write it as a new version (``POST`` too for HEARTBEAT.md, the
  seed's method);
* ``GET  <base>/versions`` — every version, newest first, without content;
* ``GET  <base>/versions/{n}`` — one version with its content;
* ``GET  <base>/diff?from=&to=`` — a unified diff (``to`` left out: the file as it is now);
* ``POST <base>/rollback`` ``{version}`` — write that version again, as a new version.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from soulbeat.api.deps import ServiceDep, require_api
from soulbeat.api.schemas import FileOut, FileVersionOut, FileWrite, Rollback
from soulbeat.service.files import FILE_NAMES, FileKind, FileView
from soulbeat.service.views import plain
from soulbeat.store.records import FileVersion

router = APIRouter(dependencies=[Depends(require_api)])

Agent = Annotated[str, Query(max_length=64, description="The agent (default: default)")]
Version = Annotated[int, Query(ge=1, le=2**31)]
VersionPath = Annotated[int, Path(ge=1, le=2**31)]
BASES: dict[FileKind, str] = {
    "soul": "/api/soul",
    "heartbeat": "/api/heartbeat/heartbeat.md",
    "memory": "/api/memory",
}


def file_view(view: FileView) -> dict[str, Any]:
    return {
        "agent": view.agent_id,
        "kind": view.kind,
        "path": str(view.path),
        "exists": view.exists,
        "content": view.content,
        "version": view.version,
        "sha256": view.sha256,
    }


def version_view(version: FileVersion, *, content: bool = False) -> dict[str, Any]:
    view: dict[str, Any] = plain(version)
    if not content:
        view.pop("content", None)
        view["chars"] = len(version.content)
    return view


def _add_file_routes(kind: FileKind) -> None:
    base = BASES[kind]
    tag = {"soul": "soul", "heartbeat": "heartbeat.md", "memory": "memory"}[kind]
    name = FILE_NAMES[kind]

    async def write(body: FileWrite, service: ServiceDep, agent: Agent = "default") -> Any:
        view = await service.write_file(kind, body.content, agent, base_sha256=body.base_sha256)
        return file_view(view)

    write.__doc__ = (
        f"Write {name} (atomically) and record it as a new version. With `base_sha256` (the "
        "`sha256` the editor read) a file changed since is not overwritten: 409 with the "
        "current `sha256` and `version`."
    )
    for method in ("PUT", "POST") if kind == "heartbeat" else ("PUT",):
        router.add_api_route(
            base,
            write,
            methods=[method],
            response_model=FileOut,
            tags=[tag],
            name=f"write_{kind}_{method.lower()}",
        )

    async def versions(service: ServiceDep, agent: Agent = "default") -> Any:
        found = await service.file_versions(kind, agent)
        return {"agent": agent, "kind": kind, "items": [version_view(v) for v in found]}

    async def version(n: VersionPath, service: ServiceDep, agent: Agent = "default") -> Any:
        return version_view(await service.file_version(kind, n, agent), content=True)

    async def diff(
        service: ServiceDep,
        from_: Annotated[int, Query(alias="from", ge=1, le=2**31)],
        to: Version | None = None,
        agent: Agent = "default",
    ) -> Any:
        text = await service.file_diff(kind, from_, to, agent)
        return {"agent": agent, "kind": kind, "from": from_, "to": to, "diff": text}

    async def rollback(body: Rollback, service: ServiceDep, agent: Agent = "default") -> Any:
        return file_view(await service.rollback_file(kind, body.version, agent))

    versions.__doc__ = f"Every recorded version of {name}, newest first (without content)."
    version.__doc__ = f"One version of {name} with its content."
    diff.__doc__ = f"A unified diff between two versions of {name} (`to` absent: the file now)."
    rollback.__doc__ = f"Write version `version` of {name} again, as a new version."
    router.add_api_route(
        f"{base}/versions", versions, methods=["GET"], tags=[tag], name=f"{kind}_versions"
    )
    router.add_api_route(
        f"{base}/versions/{{n}}",
        version,
        methods=["GET"],
        tags=[tag],
        response_model=FileVersionOut,
        name=f"{kind}_version",
    )
    router.add_api_route(f"{base}/diff", diff, methods=["GET"], tags=[tag], name=f"{kind}_diff")
    router.add_api_route(
        f"{base}/rollback",
        rollback,
        methods=["POST"],
        tags=[tag],
        response_model=FileOut,
        name=f"{kind}_rollback",
    )


@router.get("/api/soul", response_model=FileOut, tags=["soul"])
async def read_soul(service: ServiceDep, agent: Agent = "default") -> dict[str, Any]:
    """SOUL.md as it is now (`exists` false and empty content when there is none)."""
    return file_view(await service.read_file("soul", agent))


@router.get("/api/heartbeat/heartbeat.md", tags=["heartbeat.md"])
async def read_heartbeat_md(service: ServiceDep, agent: Agent = "default") -> dict[str, Any]:
    """HEARTBEAT.md as it is now, with `hints`: whether it is effectively empty (interval beats
    are then skipped), its checklist / rules / behaviors items, its cadence tasks and problems."""
    found = await service.heartbeat_file(agent)
    return file_view(found.file) | {"hints": found.hints}


_add_file_routes("soul")
_add_file_routes("heartbeat")
_add_file_routes("memory")


@router.get("/api/memory", response_model=FileOut, tags=["memory"])
async def read_memory(service: ServiceDep, agent: Agent = "default") -> dict[str, Any]:
    """The agent's MEMORY.md as it is now (`exists` false and empty content when there is none).
    Beats change it through the memory tools; every change is a version (history, diff,
    rollback below)."""
    return file_view(await service.read_file("memory", agent))
