"""Reading the reply, the three tiers of SPEC §5.4 (pure functions, table tests)."""

from __future__ import annotations

from typing import Any

import pytest

from soulbeat.actions.models import MessageAction, NoneAction, PostAction
from soulbeat.llm.base import ToolCall
from soulbeat.turn.reply import Payload, find_json_action, read_reply, split_reasoning


def respond(arguments: dict[str, Any] | str, call_id: str = "c1") -> ToolCall:
    if isinstance(arguments, str):
        return ToolCall.from_json(call_id, "heartbeat_respond", arguments)
    return ToolCall.from_mapping(call_id, "heartbeat_respond", arguments)


def texts(*items: str) -> list[Payload]:
    return [Payload(item) for item in items]


@pytest.mark.parametrize(
    ("payloads", "kind", "tier", "text"),
    [
        (texts(""), "empty", None, ""),
        (texts("   \n"), "empty", None, ""),
        ([], "empty", None, ""),
        (texts("HEARTBEAT_OK"), "ack", 3, "HEARTBEAT_OK"),
        (texts("**HEARTBEAT_OK**"), "ack", 3, "**HEARTBEAT_OK**"),
        (texts("Disk almost full"), "alert", 3, "Disk almost full"),
        (texts("HEARTBEAT_OK Disk " + "x" * 400), "alert", 3, "Disk " + "x" * 400),
        (texts("Let me check...", "Final alert"), "alert", 3, "Final alert"),
        (texts("Final alert", ""), "alert", 3, "Final alert"),
        (texts("Working on it", "HEARTBEAT_OK"), "ack", 3, "HEARTBEAT_OK"),
        (texts('{"action": "none", "reason": "quiet"}'), "ack", 2, "quiet"),
        (texts('{"action": "message", "text": "Disk full"}'), "alert", 2, "Disk full"),
        (texts('```json\n{"action": "message", "text": "Hi"}\n```'), "alert", 2, "Hi"),
        (texts('Here:\n```\n{"type": "message", "text": "Hi"}\n```\nbye'), "alert", 2, "Hi"),
        (texts('I decided {"action": "message", "text": "Hi"} ok'), "alert", 2, "Hi"),
        (texts('{"action": "message", "text": "Hi",}'), "alert", 2, "Hi"),
        (texts('```json\n{"action": "message" "text": "Hi"}\n```'), "unreadable", 3, None),
        (texts('{"status": "fine"}'), "unreadable", 2, '{"status": "fine"}'),
        (texts('{"action": "message", "text": "HEARTBEAT_OK"}'), "ack", 2, None),
    ],
    ids=[
        "empty",
        "blank",
        "no-payload",
        "token",
        "token-in-markup",
        "plain-alert",
        "long-alert-after-token",
        "G1-last-payload",
        "last-with-content",
        "last-is-ack",
        "json-none",
        "json-message",
        "json-fenced",
        "json-fenced-no-language-type-key",
        "json-inline",
        "invalid-json-falls-to-tier3",
        "invalid-fenced-json-falls-to-tier3",
        "json-without-action-is-text",
        "json-message-of-only-the-token",
    ],
)
def test_tiers_two_and_three(
    payloads: list[Payload], kind: str, tier: int | None, text: str | None
) -> None:
    reading = read_reply(payloads)
    assert (reading.kind, reading.tier) == (kind, tier)
    if text is not None:
        assert reading.text == text


@pytest.mark.parametrize(
    ("arguments", "text", "kind", "alert"),
    [
        ({"notify": False, "summary": "fine"}, "URGENT: disk almost full", "ack", None),
        ({"notify": False, "summary": "fine", "message": "Disk full"}, "", "ack", None),
        ({"notify": True, "message": "Disk full", "summary": "disk"}, "", "alert", "Disk full"),
        ({"notify": True, "summary": "disk"}, "Disk is full", "alert", "Disk is full"),
        ({"notify": True, "summary": "disk at 95%"}, "", "alert", "disk at 95%"),
        ({"notify": True, "message": "Disk full HEARTBEAT_OK", "summary": "d"}, "", "alert", None),
        ({"notify": True, "message": "HEARTBEAT_OK", "summary": "d"}, "", "ack", None),
        ({"notify": "false", "summary": "fine"}, "Alert text", "ack", None),
    ],
    ids=[
        "notify-false-beats-alert-text",
        "notify-false-ignores-message",
        "notify-true",
        "notify-true-no-message-uses-text",
        "notify-true-no-message-no-text-uses-summary",
        "token-stripped-from-message",
        "message-only-token-is-ack",
        "notify-as-text",
    ],
)
def test_tier_one(arguments: dict[str, Any], text: str, kind: str, alert: str | None) -> None:
    reading = read_reply([Payload(text, None, (respond(arguments),))])
    assert (reading.kind, reading.tier) == (kind, 1)
    assert reading.summary == arguments.get("summary", "")
    if alert is not None:
        assert reading.text == alert
    if kind == "alert":
        assert "HEARTBEAT_OK" not in reading.text


@pytest.mark.parametrize(
    "arguments", ['{"notify": ', {"summary": "no notify"}, {"notify": 1, "summary": "x"}]
)
def test_an_unusable_respond_call_falls_through_to_the_text(arguments: Any) -> None:
    reading = read_reply([Payload("Disk almost full", None, (respond(arguments),))])
    assert (reading.kind, reading.tier, reading.text) == ("alert", 3, "Disk almost full")
    assert any("heartbeat_respond" in problem for problem in reading.problems)


def test_the_last_usable_respond_call_decides() -> None:
    calls = (
        respond({"notify": True, "message": "first", "summary": "a"}, "c1"),
        respond({"notify": False, "summary": "b"}, "c2"),
    )
    assert read_reply([Payload("", None, calls)]).kind == "ack"


def test_a_short_alert_ending_in_the_token_is_dropped_but_recorded() -> None:
    reading = read_reply(texts("The backup failed twice HEARTBEAT_OK"))
    assert reading.kind == "ack"
    assert reading.dropped_text == "The backup failed twice"


def test_ack_max_chars_decides_what_is_dropped() -> None:
    reading = read_reply(texts("HEARTBEAT_OK all good here"), ack_max_chars=5)
    assert (reading.kind, reading.text, reading.dropped_text) == ("alert", "all good here", None)


def test_a_plain_ack_drops_nothing() -> None:
    assert read_reply(texts("HEARTBEAT_OK")).dropped_text is None


@pytest.mark.parametrize(
    ("text", "reasoning", "rest"),
    [
        ("Reasoning:\nbecause\n\nFinal alert", "because", "Final alert"),
        ("reasoning: one line", "one line", ""),
        ("**Reasoning:** the disk\ngrew\n\n  \nAlert!\n\nMore", "the disk\ngrew", "Alert!\n\nMore"),
        ("No reasoning here", "", "No reasoning here"),
        ("My reasoning: x", "", "My reasoning: x"),
    ],
)
def test_split_reasoning(text: str, reasoning: str, rest: str) -> None:
    assert split_reasoning(text) == (reasoning, rest)


def test_reasoning_comes_from_prefixes_and_the_provider_field_of_every_round() -> None:
    payloads = [
        Payload("Reasoning: first look", "thinking 1"),
        Payload("Final alert", "thinking 2"),
    ]
    reading = read_reply(payloads)
    assert reading.reasoning == "thinking 1\n\nfirst look\n\nthinking 2"
    assert (reading.kind, reading.text) == ("alert", "Final alert")


def test_a_reasoning_only_payload_is_not_content() -> None:
    reading = read_reply(texts("Final alert", "Reasoning:\nsecond thoughts"))
    assert (reading.kind, reading.text, reading.reasoning) == (
        "alert",
        "Final alert",
        "second thoughts",
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"action": "post", "submolt": "m/General", "title": "T", "content": "C"}',
         PostAction("general", "T", "C")),
        ('```json\n{"action": "none"}\n```', NoneAction()),
        ('text {"nested": {"x": 1}} then {"action": "message", "message": "hi"}',
         MessageAction("hi")),
    ],
)  # fmt: skip
def test_find_json_action(text: str, expected: object) -> None:
    found = find_json_action(text)
    assert found is not None and found.action == expected


def test_a_json_action_that_cannot_be_read_is_an_action_with_problems() -> None:
    reading = read_reply(texts('{"action": "dance", "style": "tango"}'))
    assert (reading.kind, reading.tier) == ("action", 2)
    assert reading.json_action is not None and reading.json_action.action is None
    assert reading.json_action.problems
