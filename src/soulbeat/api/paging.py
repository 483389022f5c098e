"""The paging shape of every list route (issue 12): ``limit``/``offset`` in, the page out with
``total`` (every match) and ``next_offset`` (null on the last page)."""

from __future__ import annotations

from typing import Any

__all__ = ["page", "paging"]


def paging(count: int, total: int, limit: int, offset: int) -> dict[str, Any]:
    """`total`, `limit`, `offset` and `next_offset` of a page of ``count`` items."""
    more = offset + count < total
    return {
        "total": total,
        "limit": limit,
        "offset": offset,
        "next_offset": offset + count if more and count else None,
    }


def page(items: list[Any], total: int, limit: int, offset: int) -> dict[str, Any]:
    """The page as ``items`` with its `paging` facts."""
    return {"items": items} | paging(len(items), total, limit, offset)
