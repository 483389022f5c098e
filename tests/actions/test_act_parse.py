"""`parse_action` on seed 000-style objects, `to_dict` and `action_type`."""

from __future__ import annotations

from typing import Any

import pytest

from soulbeat.actions import (
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
from soulbeat.config.actions import ACTION_TYPES as CONFIG_ACTION_TYPES

GOOD: list[tuple[dict[str, Any], Action]] = [
    (
        {"action": "post", "submolt": "general", "title": "Daily summary", "content": "3 posts"},
        PostAction("general", "Daily summary", "3 posts"),
    ),
    (
        {"action": "comment", "post_id": "42", "content": "Agreed."},
        CommentAction("42", "Agreed."),
    ),
    (
        {"action": "comment", "post_id": 42, "content": "Me too", "parent_id": 7},
        CommentAction("42", "Me too", "7"),
    ),
    (
        {"action": "vote", "target": "comment", "id": "c9", "direction": "down"},
        VoteAction("comment", "c9", "down"),
    ),
    ({"action": "message", "text": "disk almost full"}, MessageAction("disk almost full")),
    ({"action": "none"}, NoneAction()),
    ({"action": "none", "reason": "nothing new"}, NoneAction("nothing new")),
    # tolerated variations
    ({"type": "message", "message": "hi"}, MessageAction("hi")),
    ({"action": " Message ", "content": "hi"}, MessageAction("hi")),
    (
        {"action": "post", "type": "post", "submolt": "m/General", "title": "t", "body": "b"},
        PostAction("general", "t", "b"),
    ),
    (
        {"action": "comment", "post_id": " p1 ", "text": "x", "parent_id": None},
        CommentAction("p1", "x"),
    ),
    ({"action": "vote", "post_id": 5, "direction": "upvote"}, VoteAction("post", "5", "up")),
    (
        {"action": "vote", "comment_id": "c1", "direction": " DOWN "},
        VoteAction("comment", "c1", "down"),
    ),
    (
        {"action": "vote", "target": "post", "post_id": "p2", "direction": "up"},
        VoteAction("post", "p2", "up"),
    ),
    ({"action": None}, NoneAction()),
    ({"action": {"type": "message", "text": "nested"}}, MessageAction("nested")),
]


@pytest.mark.parametrize(("obj", "expected"), GOOD)
def test_good_objects_parse_without_errors(obj: dict[str, Any], expected: Action) -> None:
    action, problems = parse_action(obj)
    assert action == expected
    assert problems == []


BAD: list[tuple[Any, list[Problem]]] = [
    ([1, 2], [Problem("", "expected a JSON object, got a list")]),
    ({}, [Problem("action", "is missing (expected one of post, comment, vote, message, none)")]),
    (
        {"action": "tweet", "text": "x"},
        [Problem("action", "'tweet' is not an action type (post, comment, vote, message, none)")],
    ),
    ({"action": 3}, [Problem("action", "is a number, expected an action type")]),
    (
        {"action": "post", "type": "comment"},
        [Problem("action", "the object names two different types (action='post', type='comment')")],
    ),
    (
        {"action": "post", "title": "t", "content": "c"},
        [Problem("submolt", "is missing (expected an id under 'submolt')")],
    ),
    (
        {"action": "post", "submolt": "general", "title": 5, "content": "c"},
        [Problem("title", "is a number, expected a string")],
    ),
    (
        {"action": "comment", "content": "c"},
        [Problem("post_id", "is missing (expected an id under 'post_id')")],
    ),
    (
        {"action": "comment", "post_id": True, "content": "c"},
        [Problem("post_id", "is a boolean, expected an id (a string or a whole number)")],
    ),
    (
        {"action": "comment", "post_id": "1"},
        [Problem("content", "is missing (expected a string under 'content' or 'body' or 'text')")],
    ),
    (
        {"action": "vote", "target": "user", "id": "1", "direction": "up"},
        [Problem("target", "'user' is not one of comment, post")],
    ),
    (
        {"action": "vote", "target": "post", "id": "1", "direction": "sideways"},
        [Problem("direction", "'sideways' is not one of down, up")],
    ),
    (
        {"action": "vote", "id": "1", "direction": "up"},
        [Problem("target", "is missing (expected post or comment)")],
    ),
    (
        {"action": "vote", "target": "post", "direction": "up"},
        [Problem("id", "is missing (expected an id under 'id' or 'post_id')")],
    ),
    (
        {"action": "comment", "post_id": 10**200, "content": "c"},
        [Problem("post_id", "is a number too long to be an id")],
    ),
    (
        {"action": "x" * 100},
        [
            Problem(
                "action", f"'{'x' * 58}… is not an action type (post, comment, vote, message, none)"
            )
        ],
    ),
    (
        {"action": "message", "text": ["a"]},
        [Problem("text", "is a list, expected a string")],
    ),
    (
        {"action": "message"},
        [Problem("text", "is missing (expected a string under 'text' or 'message' or 'content')")],
    ),
]


@pytest.mark.parametrize(("obj", "expected"), BAD)
def test_bad_objects_give_problems_and_no_action(obj: Any, expected: list[Problem]) -> None:
    action, problems = parse_action(obj)
    assert action is None
    assert problems == expected


def test_unknown_keys_are_ignored_and_noted_as_info() -> None:
    action, problems = parse_action(
        {"action": "message", "text": "hi", "summary": "s", "confidence": 0.9}
    )
    assert action == MessageAction("hi")
    assert problems == [
        Problem("confidence", "is not a field of this action; ignored", "info"),
        Problem("summary", "is not a field of this action; ignored", "info"),
    ]
    assert errors_in(problems) == []


def test_keys_around_a_nested_action_are_noted() -> None:
    action, problems = parse_action({"action": {"type": "none"}, "why": "idle"})
    assert action == NoneAction()
    assert problems == [Problem("why", "is not a field of this action; ignored", "info")]


def test_a_non_text_reason_is_dropped_with_a_note() -> None:
    action, problems = parse_action({"action": "none", "reason": 4})
    assert action == NoneAction()
    assert problems == [Problem("reason", "is a number, not text; ignored", "info")]


def test_every_problem_is_collected_not_just_the_first() -> None:
    action, problems = parse_action({"action": "post", "submolt": 1.5, "title": None})
    assert action is None
    assert [p.field for p in problems] == ["submolt", "title", "content"]


def test_blank_text_is_left_to_validation() -> None:
    assert parse_action({"action": "message", "text": "   "}) == (MessageAction("   "), [])


@pytest.mark.parametrize(("obj", "_"), GOOD)
def test_to_dict_round_trips(obj: dict[str, Any], _: Action) -> None:
    action, _problems = parse_action(obj)
    assert action is not None
    data = to_dict(action)
    assert data["action"] == action_type(action)
    assert parse_action(data) == (action, [])


def test_to_dict_is_seed_000_shape() -> None:
    assert to_dict(VoteAction("post", "1", "up")) == {
        "action": "vote",
        "target": "post",
        "id": "1",
        "direction": "up",
    }
    assert to_dict(CommentAction("1", "c")) == {
        "action": "comment",
        "post_id": "1",
        "content": "c",
        "parent_id": None,
    }


def test_action_type_names_each_class_and_refuses_others() -> None:
    actions: list[Action] = [
        PostAction("s", "t", "c"),
        CommentAction("1", "c"),
        VoteAction("post", "1", "up"),
        MessageAction("m"),
        NoneAction(),
    ]
    assert tuple(action_type(a) for a in actions) == ACTION_TYPES
    with pytest.raises(TypeError):
        action_type("post")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        to_dict({"action": "post"})  # type: ignore[arg-type]


def test_action_types_match_the_config_vocabulary() -> None:
    assert ACTION_TYPES == CONFIG_ACTION_TYPES


def test_problems_read_as_one_line() -> None:
    assert str(Problem("title", "is blank")) == "title: is blank"
    assert str(Problem("", "expected a JSON object")) == "expected a JSON object"
