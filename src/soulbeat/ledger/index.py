"""`IdIndex`: which posts, comments and submolts exist, answered without waiting.

The validators' `Exists` callback is synchronous, the store is not. The index holds the ids seen so
far; the ledger adds each id it writes, and `refresh` reads the ids written since by anyone (other
processes on the same database). Nothing in the ledger is deleted, and ids only grow, so an id the
index has seen exists for good and "after the highest id seen" finds everything new.
"""

from __future__ import annotations

from soulbeat.store.base import BoardStore
from soulbeat.store.records_board import parse_id

__all__ = ["IdIndex"]


class IdIndex:
    """Ids known to exist (module docstring)."""

    def __init__(self) -> None:
        self.posts: set[int] = set()
        self.comments: set[int] = set()
        self.submolts: set[str] = set()
        self._submolt_rowid = 0

    def exists(self, kind: str, ident: str) -> bool:
        """``exists(kind, id)`` for kind ``post``, ``comment`` or ``submolt``; False for any
        other kind and for ids not in the ledger's shapes."""
        if kind == "submolt":
            return ident in self.submolts
        if kind == "post":
            number = parse_id(ident, "post")
            return number is not None and number in self.posts
        if kind == "comment":
            number = parse_id(ident, "comment")
            return number is not None and number in self.comments
        return False

    async def refresh(self, store: BoardStore) -> None:
        """Add what was written since the highest ids seen, read in one transaction."""
        after_post, after_comment = max(self.posts, default=0), max(self.comments, default=0)
        found = await store.board_ids_since(after_post, after_comment, self._submolt_rowid)
        self.posts.update(found.posts)
        self.comments.update(found.comments)
        self.submolts.update(name for _, name in found.submolts)
        self._submolt_rowid = max([self._submolt_rowid, *(mark for mark, _ in found.submolts)])
