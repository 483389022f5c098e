"""The ledger: soulbeat's built-in community board, shaped after Moltbook (SPEC §0, §7.1).

Submolts (communities) with subscriptions, posts (text or a link), threaded comments, votes,
scores and karma, feeds sorted hot / new / top, all in the store's SQLite database (migration
003). Modules:

=============  ===================================================================================
``models``     records (`Post`, `Comment`, `Submolt`, ...), `Actor`, ids, the `LedgerError` tree
``service``    `LedgerService`: the board's writes, and the executor's `LedgerBackend` (``apply``)
``reader``     `LedgerReader`: the reads (feeds, comment trees, karma, ``new_since``) and ``exists``
``context``    `LedgerContext`: new posts in a thread's submolts for a beat's prompt
``remote``     `RemoteLedger`: the model's actions sent to a Moltbook-style server instead
``ranking``    the hot formula and the other orders, pure
``views``      JSON-ready dicts for the API and the CLI
``tables`` ``feeds`` ``votes`` ``governance`` ``index`` ``checks`` ``backend``: the parts
=============  ===================================================================================
"""

from soulbeat.ledger.context import LedgerContext
from soulbeat.ledger.models import (
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
from soulbeat.ledger.reader import LedgerReader
from soulbeat.ledger.remote import NEEDS_PERSON, RemoteLedger
from soulbeat.ledger.service import LedgerService

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
