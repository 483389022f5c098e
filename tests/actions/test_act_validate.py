"""`validate_action`: one table row per rule."""

from __future__ import annotations

from typing import Any

import pytest

from soulbeat.actions import (
    ACTION_TYPES,
    COMMENT_LIMIT,
    MESSAGE_LIMIT,
    POST_LIMIT,
    TITLE_LIMIT,
    Action,
    CommentAction,
    MessageAction,
    NoneAction,
    PostAction,
    Problem,
    VoteAction,
    validate_action,
)

ALL = ACTION_TYPES

VALID: list[Action] = [
    PostAction("general", "t" * TITLE_LIMIT, "c" * POST_LIMIT),
    PostAction("a1", "Title", "Body"),
    PostAction("dev_ops-2", "Title", "Body"),
    PostAction("x" * 40, "Title", "Body"),
    CommentAction("42", "c" * COMMENT_LIMIT),
    CommentAction("550e8400-e29b-41d4-a716-446655440000", "ok", parent_id="c:7"),
    VoteAction("post", "p.1", "up"),
    VoteAction("comment", "c_1", "down"),
    MessageAction("m" * MESSAGE_LIMIT),
    NoneAction(),
    NoneAction("idle"),
]


@pytest.mark.parametrize("action", VALID)
def test_valid_actions_have_no_problems(action: Action) -> None:
    assert validate_action(action, allowed=ALL) == []


def bad(action: Any, field: str, message: str) -> tuple[Any, Problem]:
    return action, Problem(field, message)


SUBMOLT_RULE = "(2-40 characters: a-z, 0-9, '-' and '_', starting with a letter or digit)"
ID_RULE = "(1-128 characters: letters, digits, '-', '_', '.' and ':')"

INVALID = [
    bad(PostAction("general", " ", "c"), "title", "is blank"),
    bad(PostAction("general", "t", ""), "content", "is blank"),
    bad(PostAction("", "t", "c"), "submolt", "is blank"),
    bad(PostAction("general", "t" * 301, "c"), "title", "is 301 characters long; the limit is 300"),
    bad(
        PostAction("general", "t", "c" * 40_001),
        "content",
        "is 40,001 characters long; the limit is 40,000",
    ),
    bad(
        PostAction("General", "t", "c"),
        "submolt",
        f"'General' is not a submolt name {SUBMOLT_RULE}",
    ),
    bad(PostAction("a", "t", "c"), "submolt", f"'a' is not a submolt name {SUBMOLT_RULE}"),
    bad(
        PostAction("x" * 41, "t", "c"),
        "submolt",
        f"{'x' * 41!r} is not a submolt name {SUBMOLT_RULE}",
    ),
    bad(PostAction("-dash", "t", "c"), "submolt", f"'-dash' is not a submolt name {SUBMOLT_RULE}"),
    bad(
        PostAction("../etc", "t", "c"), "submolt", f"'../etc' is not a submolt name {SUBMOLT_RULE}"
    ),
    bad(PostAction("general", 3, "c"), "title", "is a number, expected a string"),  # type: ignore[arg-type]
    bad(
        CommentAction("1", "c" * 10_001),
        "content",
        "is 10,001 characters long; the limit is 10,000",
    ),
    bad(CommentAction("  ", "c"), "post_id", "is blank"),
    bad(CommentAction("1 2", "c"), "post_id", f"'1 2' is not an id {ID_RULE}"),
    bad(CommentAction("1", "c", parent_id="<b>"), "parent_id", f"'<b>' is not an id {ID_RULE}"),
    bad(CommentAction("1", "c", parent_id=""), "parent_id", "is blank"),
    bad(CommentAction("1" * 129, "c"), "post_id", f"'{'1' * 58}… is not an id {ID_RULE}"),
    bad(VoteAction("user", "1", "up"), "target", "'user' is not one of post, comment"),  # type: ignore[arg-type]
    bad(VoteAction("post", "1", "sideways"), "direction", "'sideways' is not one of up, down"),  # type: ignore[arg-type]
    bad(VoteAction("post", "", "up"), "id", "is blank"),
    bad(MessageAction("\n\t"), "text", "is blank"),
    bad(MessageAction("m" * 40_001), "text", "is 40,001 characters long; the limit is 40,000"),
    bad(MessageAction(None), "text", "is null, expected a string"),  # type: ignore[arg-type]
    bad(NoneAction(7), "reason", "is a number, expected a string"),  # type: ignore[arg-type]
]


@pytest.mark.parametrize(("action", "problem"), INVALID)
def test_each_rule_names_its_field(action: Action, problem: Problem) -> None:
    assert validate_action(action, allowed=ALL) == [problem]


def test_all_problems_are_reported_together() -> None:
    problems = validate_action(PostAction("Bad Name", "", "c" * 40_001), allowed=["comment"])
    assert [p.field for p in problems] == ["action", "submolt", "title", "content"]


@pytest.mark.parametrize(
    ("allowed", "message"),
    [
        (["message", "none"], "'post' is not allowed for this thread (allowed: message, none)"),
        ([], "'post' is not allowed for this thread (allowed: nothing)"),
        (("vote", "comment"), "'post' is not allowed for this thread (allowed: comment, vote)"),
    ],
)
def test_a_type_outside_allowed_names_the_type_and_the_list(
    allowed: list[str], message: str
) -> None:
    problems = validate_action(PostAction("general", "t", "c"), allowed=allowed)
    assert problems == [Problem("action", message)]


def test_none_is_always_allowed() -> None:
    assert validate_action(NoneAction(), allowed=[]) == []


def test_not_an_action_is_a_problem_not_an_exception() -> None:
    assert validate_action({"action": "post"}, allowed=ALL) == [  # type: ignore[arg-type]
        Problem("action", "is an object, not an action")
    ]


class Ledger:
    """An `exists` callback over a fixed set, remembering what was asked."""

    def __init__(self, *known: tuple[str, str]) -> None:
        self.known = set(known)
        self.asked: list[tuple[str, str]] = []

    def __call__(self, kind: str, ident: str) -> bool:
        self.asked.append((kind, ident))
        return (kind, ident) in self.known


@pytest.mark.parametrize(
    ("action", "asked", "problems"),
    [
        (PostAction("general", "t", "c"), [("submolt", "general")], []),
        (
            PostAction("nowhere", "t", "c"),
            [("submolt", "nowhere")],
            [Problem("submolt", "no submolt 'nowhere' exists")],
        ),
        (CommentAction("p1", "c"), [("post", "p1")], []),
        (
            CommentAction("p2", "c", parent_id="c9"),
            [("post", "p2"), ("comment", "c9")],
            [
                Problem("post_id", "no post 'p2' exists"),
                Problem("parent_id", "no comment 'c9' exists"),
            ],
        ),
        (VoteAction("comment", "c1", "up"), [("comment", "c1")], []),
        (
            VoteAction("post", "c1", "up"),
            [("post", "c1")],
            [Problem("id", "no post 'c1' exists")],
        ),
        (MessageAction("hi"), [], []),
        (NoneAction(), [], []),
        # malformed values are never looked up
        (CommentAction("a b", "c"), [], [Problem("post_id", f"'a b' is not an id {ID_RULE}")]),
        (
            VoteAction("user", "c1", "up"),  # type: ignore[arg-type]
            [],
            [Problem("target", "'user' is not one of post, comment")],
        ),
    ],
)
def test_targets_must_exist_when_a_lookup_is_given(
    action: Action, asked: list[tuple[str, str]], problems: list[Problem]
) -> None:
    ledger = Ledger(("submolt", "general"), ("post", "p1"), ("comment", "c1"))
    assert validate_action(action, allowed=ALL, exists=ledger) == problems
    assert ledger.asked == asked


def test_a_failing_lookup_is_not_the_models_mistake() -> None:
    def broken(kind: str, ident: str) -> bool:
        raise ConnectionError("ledger down")

    with pytest.raises(ConnectionError):
        validate_action(CommentAction("p1", "c"), allowed=ALL, exists=broken)
