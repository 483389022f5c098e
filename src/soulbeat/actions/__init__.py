"""What a beat may do, and the rules it is held to (SPEC §7.1).

`models`, `validate`, `sanitize` and `policy` are pure (no store, no clock, no network): mistakes
of the model come back as lists of `Problem`, never as exceptions. `log` (the action log that
limits and the duplicate guard read) and `approvals` (the approval queue) keep their rows in the
store's action part (`soulbeat.store.base.ActionStore`; no SQL here); `executor` puts it all in
order around the ledger.
"""

from soulbeat.actions.models import (
    ACTION_TYPES,
    Action,
    CommentAction,
    MessageAction,
    NoneAction,
    PostAction,
    Problem,
    VoteAction,
    action_type,
    errors_in,
    parse_action,
    to_dict,
)
from soulbeat.actions.sanitize import (
    REASON_LIMIT,
    TRUNCATION_MARKER,
    escape_text,
    sanitize_action,
    sanitize_text,
)
from soulbeat.actions.validate import (
    COMMENT_LIMIT,
    ID_PATTERN,
    MESSAGE_LIMIT,
    POST_LIMIT,
    SUBMOLT_PATTERN,
    TITLE_LIMIT,
    Exists,
    validate_action,
)

__all__ = [
    "ACTION_TYPES",
    "COMMENT_LIMIT",
    "ID_PATTERN",
    "MESSAGE_LIMIT",
    "POST_LIMIT",
    "REASON_LIMIT",
    "SUBMOLT_PATTERN",
    "TITLE_LIMIT",
    "TRUNCATION_MARKER",
    "Action",
    "CommentAction",
    "Exists",
    "MessageAction",
    "NoneAction",
    "PostAction",
    "Problem",
    "VoteAction",
    "action_type",
    "errors_in",
    "escape_text",
    "parse_action",
    "sanitize_action",
    "sanitize_text",
    "to_dict",
    "validate_action",
]
