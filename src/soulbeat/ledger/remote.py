"""`RemoteLedger`: the model's ledger actions sent to a Moltbook-style server over HTTP.

A `LedgerBackend` (contract on `soulbeat.actions.executor.LedgerBackend`) speaking the same
``/api/v1/`` shape as soulbeat's own ledger routes: ``POST posts`` (``submolt``, ``title``,
``content``), ``POST posts/{id}/comments`` (``content``, ``parent_id``), ``POST
posts|comments/{id}/upvote|downvote``, with ``Authorization: Bearer <api key>``. The body also
names the author (``author``: the agent id, ``author_kind``: ``agent``) unless
``send_author=False``. Votes on such a server toggle: the same vote twice removes it.

Manners:

- **The key goes to the configured origin only.** Redirects are never followed, and a request
  whose URL is not on ``base_url``'s scheme, host and port is refused before it is sent; ids are
  quoted as one path segment each, so a model's id cannot point elsewhere.
- **429 is honoured.** The ``Retry-After`` header (seconds or an HTTP date; 60 s when absent)
  sets when that action type may be tried again; until then, actions of that type are
  ``rate-limited`` at once, without a request. When the wait is at most ``retry_within``
  seconds (default 0: never) the ledger waits on the clock and tries once more.
- **A verification challenge needs a person.** A response whose JSON body holds
  ``"verification_required": true`` (any status), or a 401/403 whose body holds a
  ``"challenge"``, is never answered: the action is ``failed`` with a `Problem` on field
  ``verification`` and a detail starting with `NEEDS_PERSON`, quoting the challenge (cut to
  300 characters) and any ``verification_url`` or ``hint`` for the person.
- Otherwise: 2xx with ``success`` not false → ``executed``; 404 → ``rejected`` (the target);
  400/409/422 → ``rejected`` with the server's ``error``; 3xx, 401/403, 5xx, an unreachable server
  or a body that is not JSON → ``failed``. Details never contain the key.
- ``dry_run``: the target is looked up (``GET submolts/{name}`` or ``GET posts/{id}``; a
  comment vote cannot be checked) and the result is ``would-do``; nothing is written.
"""

from __future__ import annotations

import email.utils
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

from soulbeat.actions.executor import ActionContext, ActionResult, ActionStatus, LedgerAction
from soulbeat.actions.models import CommentAction, PostAction, Problem, to_dict
from soulbeat.channels.base import Receipt
from soulbeat.clock import Clock

__all__ = ["DEFAULT_RETRY_AFTER", "NEEDS_PERSON", "RemoteLedger", "parse_retry_after"]

NEEDS_PERSON = "needs-person"
DEFAULT_RETRY_AFTER = 60.0
_CHALLENGE_CHARS = 300


def parse_retry_after(value: str | None, now: datetime) -> float:
    """Seconds to wait from a ``Retry-After`` header: a number of seconds or an HTTP date;
    `DEFAULT_RETRY_AFTER` when absent or unreadable, never negative."""
    if value is None or not value.strip():
        return DEFAULT_RETRY_AFTER
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER
    if moment.tzinfo is None:
        return DEFAULT_RETRY_AFTER
    return max(0.0, (moment - now).total_seconds())


class RemoteLedger:
    """Ledger actions on the server at ``base_url`` (module docstring). Close with `aclose`."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        clock: Clock,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
        retry_within: float = 0.0,
        send_author: bool = True,
    ) -> None:
        self.base = httpx.URL(base_url.rstrip("/") + "/")
        if self.base.scheme not in ("http", "https") or not self.base.host:
            raise ValueError(f"base_url {base_url!r} is not an http(s) address")
        self.clock = clock
        self.retry_within = retry_within
        self.send_author = send_author
        self.channel = f"ledger:{self.base.host}"
        self._key = api_key
        self._http = httpx.AsyncClient(transport=transport, timeout=timeout, follow_redirects=False)
        self._blocked: dict[str, datetime] = {}

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> RemoteLedger:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def blocked_until(self, kind: str) -> datetime | None:
        """Until when actions of ``kind`` are held back by a 429 (None: not held back)."""
        until = self._blocked.get(kind)
        return until if until is not None and until > self.clock.now() else None

    async def apply(
        self, action: LedgerAction, ctx: ActionContext, problems: Sequence[Problem]
    ) -> ActionResult:
        found = list(problems)
        until = self.blocked_until(action.TYPE)
        if until is not None:
            detail = f"the server asked to wait until {until.isoformat()}; not sent"
            return _result(action, "rate-limited", found, detail)
        if ctx.dry_run:
            return await self._dry_run(action, found)
        method, path, body = self._request_of(action, ctx)
        try:
            response = await self._send(method, path, body)
            if response.status_code == 429:
                response = await self._after_429(action.TYPE, response, method, path, body)
        except httpx.HTTPError as exc:
            detail = f"cannot reach {self.base}: {type(exc).__name__}: {exc}"
            return _result(action, "failed", found, detail, self._receipt(False, detail))
        return self._interpret(action, response, found)

    # -- requests -----------------------------------------------------------------------------
    def url(self, path: str) -> httpx.URL:
        """``path`` (relative, e.g. ``api/v1/posts``) on the configured base."""
        return self.base.join(path)

    def headers_for(self, url: httpx.URL) -> dict[str, str]:
        """The headers for a request to ``url``; ValueError when it is off the origin."""
        if (url.scheme, url.host, url.port) != (self.base.scheme, self.base.host, self.base.port):
            raise ValueError(f"{url} is not on {self.base}: the API key is not sent there")
        return {"Authorization": f"Bearer {self._key}", "Accept": "application/json"}

    async def _send(
        self, method: str, path: str, body: Mapping[str, Any] | None = None
    ) -> httpx.Response:
        url = self.url(path)
        return await self._http.request(method, url, json=body, headers=self.headers_for(url))

    async def _after_429(
        self,
        kind: str,
        response: httpx.Response,
        method: str,
        path: str,
        body: Mapping[str, Any] | None,
    ) -> httpx.Response:
        wait = parse_retry_after(response.headers.get("Retry-After"), self.clock.now())
        if 0 < wait <= self.retry_within:
            await self.clock.sleep(wait)
            response = await self._send(method, path, body)
            if response.status_code != 429:
                return response
            wait = parse_retry_after(response.headers.get("Retry-After"), self.clock.now())
        self._blocked[kind] = self.clock.now() + timedelta(seconds=wait)
        return response

    def _request_of(
        self, action: LedgerAction, ctx: ActionContext
    ) -> tuple[str, str, dict[str, Any] | None]:
        author = {"author": ctx.agent_id, "author_kind": "agent"} if self.send_author else {}
        voter = {"voter": ctx.agent_id, "voter_kind": "agent"} if self.send_author else {}
        if isinstance(action, PostAction):
            body = {"submolt": action.submolt, "title": action.title, "content": action.content}
            return "POST", "api/v1/posts", body | author
        if isinstance(action, CommentAction):
            body = {"content": action.content} | author
            if action.parent_id is not None:
                body["parent_id"] = action.parent_id
            return "POST", f"api/v1/posts/{_segment(action.post_id)}/comments", body
        plural = "posts" if action.target == "post" else "comments"
        verb = "upvote" if action.direction == "up" else "downvote"
        return "POST", f"api/v1/{plural}/{_segment(action.id)}/{verb}", voter or None

    async def _dry_run(self, action: LedgerAction, found: list[Problem]) -> ActionResult:
        if isinstance(action, PostAction):
            field, path = "submolt", f"api/v1/submolts/{_segment(action.submolt)}"
        elif isinstance(action, CommentAction):
            field, path = "post_id", f"api/v1/posts/{_segment(action.post_id)}"
        elif action.target == "post":
            field, path = "id", f"api/v1/posts/{_segment(action.id)}"
        else:
            return _result(action, "would-do", found, "dry run: not sent (comment not checked)")
        try:
            response = await self._send("GET", path)
        except httpx.HTTPError as exc:
            detail = f"dry run: not sent; could not check the target ({type(exc).__name__})"
            return _result(action, "would-do", found, detail)
        if response.status_code == 404:
            found.append(Problem(field, "does not exist on the remote ledger"))
            return _result(action, "rejected", found, "the target does not exist")
        return _result(action, "would-do", found, "dry run: the target exists; not sent")

    # -- responses ----------------------------------------------------------------------------
    def _interpret(
        self, action: LedgerAction, response: httpx.Response, found: list[Problem]
    ) -> ActionResult:
        status = response.status_code
        body = _json(response)
        challenge = _challenge(status, body)
        if challenge is not None:
            found.append(
                Problem("verification", f"the server asks a person to verify: {challenge}")
            )
            detail = f"{NEEDS_PERSON}: verification challenge ({challenge}); not answered"
            return _result(action, "failed", found, detail, self._receipt(False, detail, status))
        error = str(body.get("error") or "") if body is not None else ""
        if status == 429:
            until = self._blocked[action.TYPE].isoformat()
            detail = f"rate limited by the server ({error or 'HTTP 429'}); retry after {until}"
            return _result(action, "rate-limited", found, detail, self._receipt(False, detail, 429))
        if 200 <= status < 300 and body is not None and body.get("success") is not False:
            detail = _done(action, body)
            return _result(action, "executed", found, detail, self._receipt(True, detail, status))
        if status in (400, 404, 409, 422):
            found.append(Problem(_field(action, status), error or f"refused (HTTP {status})"))
            detail = f"the server refused it (HTTP {status})"
            return _result(action, "rejected", found, detail, self._receipt(False, detail, status))
        detail = _failure(status, response, error)
        return _result(action, "failed", found, detail, self._receipt(False, detail, status))

    def _receipt(self, ok: bool, detail: str, status: int | None = None) -> Receipt:
        return Receipt(self.channel, ok, detail, status_code=status)


def _segment(ident: str) -> str:
    return quote(ident, safe="")


def _json(response: httpx.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _challenge(status: int, body: Mapping[str, Any] | None) -> str | None:
    """What a verification challenge asks, or None when the response is not one."""
    if body is None:
        return None
    asked = body.get("verification_required") is True
    if not asked and not (status in (401, 403) and "challenge" in body):
        return None
    parts = [str(body.get("challenge") or "no challenge text")]
    for key in ("verification_url", "hint"):
        if body.get(key):
            parts.append(f"{key}: {body[key]}")
    text = "; ".join(parts)
    return text if len(text) <= _CHALLENGE_CHARS else text[: _CHALLENGE_CHARS - 1] + "…"


def _done(action: LedgerAction, body: Mapping[str, Any]) -> str:
    if isinstance(action, PostAction):
        return f"posted {_made_id(body, 'post')} in m/{action.submolt}"
    if isinstance(action, CommentAction):
        return f"commented {_made_id(body, 'comment')} on {action.post_id}"
    message = body.get("message") or "vote recorded"
    return f"{action.direction}-voted {action.target} {action.id}: {message}"


def _made_id(body: Mapping[str, Any], key: str) -> str:
    made = body.get(key)
    return str(made.get("id", "(id not given)")) if isinstance(made, dict) else "(id not given)"


def _field(action: LedgerAction, status: int) -> str:
    if isinstance(action, PostAction):
        return "submolt" if status == 404 else "content"
    if isinstance(action, CommentAction):
        return "post_id" if status == 404 else "content"
    return "id"


def _failure(status: int, response: httpx.Response, error: str) -> str:
    if 300 <= status < 400:
        where = response.headers.get("Location", "?")
        return f"the server redirected to {where}; not followed (the API key stays on its host)"
    if status in (401, 403):
        return f"the server refused the API key (HTTP {status}){': ' + error if error else ''}"
    return f"the server failed (HTTP {status}){': ' + error if error else ''}"


def _result(
    action: LedgerAction,
    status: ActionStatus,
    problems: Sequence[Problem],
    detail: str,
    receipt: Receipt | None = None,
) -> ActionResult:
    return ActionResult(action.TYPE, status, to_dict(action), tuple(problems), receipt, detail)
