"""`sanitize_text` and `sanitize_action`: escaping, truncation with a marker, limits."""

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

M = TRUNCATION_MARKER  # " … [truncated]", 14 characters


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("plain", 100, "plain"),
        ("<script>alert(1)</script>", 100, "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("fish & chips", 100, "fish &amp; chips"),
        ("\"quotes\" and 'apostrophes'", 100, "\"quotes\" and 'apostrophes'"),
        ("&amp;", 100, "&amp;amp;"),
        ("", 10, ""),
        ("exactly 10", 10, "exactly 10"),
        ("a" * 30, 20, "aaaaaa" + M),
        ("word " * 10, 20, "word w" + M),
        ("word " * 10, 19, "word" + M),
        # an entity that does not fit whole is left out, never cut in half
        ("aaaaa&" + "b" * 20, 22, "aaaaa" + M),
        ("aaaaa&", 10, "aaaaa&amp;"),
        ("aaaaaa&b", 24, "aaaaaa&amp;b"),
        ("aaaaaaaaaa&" + "b" * 20, 30, "aaaaaaaaaa&amp;b" + M),
        # too small for the marker: cut without one
        ("abcdefghij", 5, "abcde"),
        ("<<<", 5, "&lt;"),
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
def test_sanitized_text_never_exceeds_its_limit_and_holds_no_raw_markup(
    text: str, limit: int
) -> None:
    result = sanitize_text(text, limit)
    assert len(result) <= max(limit, 0)
    assert "<" not in result
    assert ">" not in result
    if len(escape_text(text)) <= limit:
        assert result == escape_text(text)
    # every & starts a whole entity
    assert result.count("&") == sum(result.count(e) for e in ("&amp;", "&lt;", "&gt;"))


def test_non_text_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        sanitize_text(None, 10)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        (
            PostAction("general", "<b>Hi</b>", "a & b"),
            PostAction("general", "&lt;b&gt;Hi&lt;/b&gt;", "a &amp; b"),
        ),
        (
            CommentAction("p<1>", "<i>", parent_id="c&1"),
            CommentAction("p<1>", "&lt;i&gt;", parent_id="c&1"),
        ),
        (MessageAction("1 < 2"), MessageAction("1 &lt; 2")),
        (NoneAction("a>b"), NoneAction("a&gt;b")),
        (VoteAction("post", "<id>", "up"), VoteAction("post", "<id>", "up")),
    ],
)
def test_sanitize_action_escapes_free_text_only(action: Action, expected: Action) -> None:
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
