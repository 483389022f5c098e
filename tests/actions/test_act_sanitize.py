"""`sanitize_text` and `sanitize_action`: text kept as written, truncation with a marker, limits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from soulbeat.actions import (
    COMMENT_LIMIT,
    MESSAGE_LIMIT,
    POST_LIMIT,
    REASON_LIMIT,
    TITLE_LIMIT,
    TRUNCATION_MARKER,
    Action,
    CommentAction,
    MessageAction,
    NoneAction,
    PostAction,
    VoteAction,
    escape_text,
    sanitize_action,
    sanitize_text,
)
from soulbeat.actions.sanitize import escape_and_cap

M = TRUNCATION_MARKER  # " … [truncated]", 14 characters


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("plain", 100, "plain"),
        # stored text is what was written: escaping is for each output (issue 17 item 7)
        ("<script>alert(1)</script>", 100, "<script>alert(1)</script>"),
        ("fish & chips", 100, "fish & chips"),
        ("\"quotes\" and 'apostrophes'", 100, "\"quotes\" and 'apostrophes'"),
        ("&amp;", 100, "&amp;"),
        ("", 10, ""),
        ("exactly 10", 10, "exactly 10"),
        ("a" * 30, 20, "aaaaaa" + M),
        ("word " * 10, 20, "word w" + M),
        ("word " * 10, 19, "word" + M),
        ("aaaaa&" + "b" * 20, 22, "aaaaa&bb" + M),
        # too small for the marker: cut without one
        ("abcdefghij", 5, "abcde"),
        ("<<<", 5, "<<<"),
        ("anything", 0, ""),
        ("anything", -3, ""),
    ],
)
def test_sanitize_text(text: str, limit: int, expected: str) -> None:
    assert sanitize_text(text, limit) == expected


def test_the_marker_is_visible_and_the_limit_holds_exactly_at_the_edge() -> None:
    text = "x" * 1000
    for limit in range(len(M) - 1, len(M) + 3):
        assert len(sanitize_text(text, limit)) <= limit
    assert sanitize_text(text, len(M) + 1) == "x" + M


@given(st.text(), st.integers(min_value=-5, max_value=300))
def test_sanitized_text_never_exceeds_its_limit_and_keeps_what_was_written(
    text: str, limit: int
) -> None:
    result = sanitize_text(text, limit)
    assert len(result) <= max(limit, 0)
    if len(text) <= limit:
        assert result == text
    elif limit > len(M):
        assert result.endswith(M)
        assert text.startswith(result[: -len(M)])


def test_escape_text_is_for_outputs() -> None:
    assert escape_text("<b>a & b</b>") == "&lt;b&gt;a &amp; b&lt;/b&gt;"


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("fish & chips", 100, "fish &amp; chips"),
        # an entity that does not fit whole is left out, never cut in half
        ("aaaaa&" + "b" * 20, 22, "aaaaa" + M),
        ("aaaaa&", 10, "aaaaa&amp;"),
        ("<<<", 5, "&lt;"),
        ("anything", 0, ""),
    ],
)
def test_escape_and_cap_for_outputs_with_a_limit(text: str, limit: int, expected: str) -> None:
    assert escape_and_cap(text, limit) == expected


def test_non_text_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        sanitize_text(None, 10)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        (
            PostAction("general", "<b>Hi</b>", "a & b"),
            PostAction("general", "<b>Hi</b>", "a & b"),
        ),
        (
            CommentAction("p<1>", "<i>", parent_id="c&1"),
            CommentAction("p<1>", "<i>", parent_id="c&1"),
        ),
        (MessageAction("1 < 2"), MessageAction("1 < 2")),
        (NoneAction("a>b"), NoneAction("a>b")),
        (VoteAction("post", "<id>", "up"), VoteAction("post", "<id>", "up")),
    ],
)
def test_sanitize_action_keeps_free_text_as_written(action: Action, expected: Action) -> None:
    assert sanitize_action(action) == expected


@pytest.mark.parametrize(
    ("action", "field", "limit"),
    [
        (PostAction("s1", "t" * 500, "c"), "title", TITLE_LIMIT),
        (PostAction("s1", "t", "c" * 50_000), "content", POST_LIMIT),
        (CommentAction("1", "c" * 20_000), "content", COMMENT_LIMIT),
        (MessageAction("m" * 50_000), "text", MESSAGE_LIMIT),
        (NoneAction("r" * 2_000), "reason", REASON_LIMIT),
    ],
)
def test_sanitize_action_caps_each_field_at_its_limit(
    action: Action, field: str, limit: int
) -> None:
    value = getattr(sanitize_action(action), field)
    assert len(value) == limit
    assert value.endswith(M)


def test_sanitize_action_refuses_non_actions() -> None:
    with pytest.raises(TypeError):
        sanitize_action("post")  # type: ignore[arg-type]
