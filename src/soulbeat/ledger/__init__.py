"""The ledger: soulbeat's built-in community board, shaped after Moltbook (SPEC §0, §7.1).

Submolts (communities) with subscriptions, posts (text or a link), threaded comments, votes,
scores and karma, feeds sorted hot / new / top. The board's rules live here; its tables are the
store's board part (`soulbeat.store.base.BoardStore`, SQL in `soulbeat.store.sqlite`), its
records and errors `soulbeat.store.records_board` (re-exported here). Modules:

==============  ==================================================================================
``service``     `LedgerService`: the board's writes, and the executor's `LedgerBackend` (``apply``)
``reader``      `LedgerReader`: the reads (feeds, comment trees, karma, what is new) and ``exists``
``context``     `LedgerContext`: new posts in a thread's submolts for a beat's prompt
``remote``      `RemoteLedger`: the model's actions sent to a Moltbook-style server instead
``ranking``     the hot formula and the other orders, pure
``checks``      input checks (limits and duplicates: the one engine, `soulbeat.actions.policy`)
``views``       JSON-ready dicts for the API and the CLI
``index``       which ids exist, answered without waiting
==============  ==================================================================================
"""

from typing import TYPE_CHECKING

from soulbeat.importing import lazy_names
from soulbeat.ledger.context import LedgerContext
from soulbeat.ledger.reader import LedgerReader
from soulbeat.ledger.service import LedgerService
from soulbeat.store.records_board import (  # the board's vocabulary, for the ledger's users
    Actor,
    Comment,
    CommentNode,
    Karma,
    LedgerConflictError,
    LedgerError,
    LedgerInputError,
    LedgerNotFoundError,
    NewActivity,
    Post,
    RateLimitedError,
    Submolt,
    VoteOutcome,
    parse_actor,
)

if TYPE_CHECKING:
    from soulbeat.ledger.remote import NEEDS_PERSON, RemoteLedger
else:  # the remote client (and httpx) only when an agent's board is remote (issue 12)
    __getattr__ = lazy_names(__name__, {"NEEDS_PERSON": "remote", "RemoteLedger": "remote"})

__all__ = [
    "NEEDS_PERSON",
    "Actor",
    "Comment",
    "CommentNode",
    "Karma",
    "LedgerConflictError",
    "LedgerContext",
    "LedgerError",
    "LedgerInputError",
    "LedgerNotFoundError",
    "LedgerReader",
    "LedgerService",
    "NewActivity",
    "Post",
    "RateLimitedError",
    "RemoteLedger",
    "Submolt",
    "VoteOutcome",
    "parse_actor",
]
