"""Whatever a model writes, parsing and validating never raise (hypothesis)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from soulbeat.actions import (
    ACTION_TYPES,
    errors_in,
    parse_action,
    sanitize_action,
    to_dict,
    validate_action,
)

KEYS = [
    "action",
    "type",
    "submolt",
    "title",
    "content",
    "body",
    "text",
    "message",
    "post_id",
    "comment_id",
    "parent_id",
    "id",
    "target",
    "direction",
    "reason",
]
WORDS = [*ACTION_TYPES, "post", "comment", "up", "down", "upvote", "general", "m/General", ""]

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | st.text(max_size=30)
    | st.sampled_from(WORDS)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
action_like = st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=10), json_values, max_size=8)
# half of the objects get a real type so the field readers are exercised too
typed = st.builds(
    lambda obj, kind, key: {**obj, key: kind},
    action_like,
    st.sampled_from(ACTION_TYPES),
    st.sampled_from(["action", "type"]),
)


def exists(kind: str, ident: str) -> bool:
    return len(ident) % 2 == 0


@settings(max_examples=400)
@given(st.one_of(action_like, typed, json_values))
def test_parse_and_validate_never_raise(obj: Any) -> None:
    action, problems = parse_action(obj)
    assert all(p.level in ("error", "info") for p in problems)
    assert (action is None) == bool(errors_in(problems))
    if action is None:
        return
    for allowed in (ACTION_TYPES, ()):
        for problem in validate_action(action, allowed=allowed, exists=exists):
            assert problem.level == "error"
            assert problem.message
    sanitize_action(action)
    assert parse_action(to_dict(action))[0] == action
