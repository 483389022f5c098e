"""The HEARTBEAT_OK contract (SPEC §6): vectors rows A1–A22 and C1–C6, and the rules around them."""

from __future__ import annotations

import time

import pytest

from soulbeat.contract import (
    HEARTBEAT_TOKEN,
    ResponseParse,
    StripResult,
    parse_response,
    strip_heartbeat_token,
)

T = HEARTBEAT_TOKEN


def test_token_is_exact() -> None:
    assert HEARTBEAT_TOKEN == "HEARTBEAT_OK"


# (input, mode, ack_max_chars, should_skip, text or None when the row leaves it open, did_strip)
VECTORS_A = [
    pytest.param(None, "heartbeat", 300, True, "", False, id="A1"),
    pytest.param("  ", "heartbeat", 300, True, "", False, id="A2"),
    pytest.param(T, "heartbeat", 300, True, "", True, id="A3"),
    pytest.param(f"{T} 🦞", "heartbeat", 300, True, None, True, id="A4"),
    pytest.param(f"🦞 {T}", "heartbeat", 300, True, None, True, id="A5"),
    pytest.param("A" * 301 + f" {T}", "heartbeat", 300, False, "A" * 301, True, id="A6"),
    pytest.param(f"{T} hello", "message", 300, False, "hello", True, id="A7"),
    pytest.param(f"hello {T}", "message", 300, False, "hello", True, id="A8"),
    pytest.param(f"hello {T} there", "message", 300, False, f"hello {T} there", False, id="A9"),
    pytest.param(f"**{T}**", "heartbeat", 300, True, None, True, id="A10"),
    pytest.param(f"<code>{T}</code> all good", "message", 300, False, "all good", True, id="A11"),
    pytest.param(f"{T}.", "heartbeat", 300, True, None, True, id="A12-dot"),
    pytest.param(f"{T}!!!", "heartbeat", 300, True, None, True, id="A12-bangs"),
    pytest.param(f"{T}---", "heartbeat", 300, True, None, True, id="A12-dashes"),
    pytest.param(
        f"There is nothing todo, so i should respond with {T} !!!",
        "heartbeat",
        300,
        True,
        None,
        True,
        id="A13",
    ),
    pytest.param(f"All clear. {T}", "message", 300, False, "All clear.", True, id="A14"),
    pytest.param(f"{T}.", "message", 300, False, ".", True, id="A15"),
    pytest.param(
        f"Inbox has 2 urgent emails. {T}",
        "heartbeat",
        0,
        False,
        "Inbox has 2 urgent emails.",
        True,
        id="A16",
    ),
    pytest.param(f"{T} 🦞", "heartbeat", 0, False, "🦞", True, id="A17"),
    pytest.param(f"Done {T}!!", "message", 300, False, "Done!!", True, id="A18"),
    pytest.param("heartbeat_ok", "heartbeat", 300, False, "heartbeat_ok", False, id="A19"),
    pytest.param(f"<p>{T}</p>", "message", 300, True, "", True, id="A20"),
    pytest.param(f"{T} all good", "heartbeat", 0, False, "all good", True, id="A21"),
    pytest.param(
        f"Status {T} due to watchdog failure",
        "heartbeat",
        300,
        False,
        f"Status {T} due to watchdog failure",
        False,
        id="A22",
    ),
]


@pytest.mark.parametrize(
    ("text", "mode", "ack_max_chars", "should_skip", "expected_text", "did_strip"), VECTORS_A
)
def test_vectors_strip(
    text: str | None,
    mode: str,
    ack_max_chars: int,
    should_skip: bool,
    expected_text: str | None,
    did_strip: bool,
) -> None:
    result = strip_heartbeat_token(text, mode=mode, ack_max_chars=ack_max_chars)  # type: ignore[arg-type]
    assert result.should_skip is should_skip
    assert result.did_strip is did_strip
    if expected_text is not None:
        assert result.text == expected_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(f"{T}_EXTRA", "_EXTRA", id="prefix-test-is-plain"),
        pytest.param(f"I should not respond {T}.", "I should not respond.", id="period-glued"),
        pytest.param(f"Done {T} !!!", "Done!!!", id="space-then-three-bangs-is-four"),
        pytest.param(f"Done {T}?!", "Done?!", id="two-marks"),
        pytest.param(f"Done {T} 🦞", "Done🦞", id="emoji-is-non-word"),
        pytest.param(f"Done {T}....", "Done....", id="exactly-four-trailing"),
        pytest.param(f"Done {T}.\n\n\n\n", "Done.", id="trimmed-before-counting-the-tail"),
        pytest.param(f"{T} {T}", "", id="repeated-token"),
        pytest.param(f"{T}{T}", "", id="repeated-token-no-space"),
        pytest.param(f"{T} hello {T}", "hello", id="both-edges"),
        pytest.param(f"{T}\n\nDisk {T}.", "Disk.", id="start-then-end"),
        pytest.param(f"hello {T}. {T}", "hello.", id="end-then-end-again"),
        pytest.param(f"{T}  Disk   at\n\n91%  ", "Disk at 91%", id="whitespace-collapses"),
        pytest.param(f"{T} &nbsp; Disk full", "&nbsp; Disk full", id="original-keeps-its-text"),
        pytest.param(f"&nbsp;{T}&nbsp;", "", id="nbsp-around-token"),
        pytest.param(f"&NBSP;{T}", "", id="nbsp-any-case"),
        pytest.param(f"<div><p><b>{T}</b></p></div>", "", id="nested-markup"),
        pytest.param(f"**<b>{T}</b>**", "", id="markdown-around-html"),
        pytest.param(f"<b>**{T}**</b>", "", id="html-around-markdown"),
        pytest.param(f"`{T}`", "", id="backticks"),
        pytest.param(f"~~{T}~~", "", id="strikethrough"),
        pytest.param(f"__{T}__", "", id="underscores"),
        pytest.param(f"** `{T}` **", "", id="runs-with-spaces"),
        pytest.param(f"**{T}**", "", id="bold-alone-is-nothing-left"),
        pytest.param(f"<b>{T}</b> Disk full", "Disk full", id="html-then-text"),
        pytest.param(
            f"**{T}** Disk full", "** Disk full", id="normalised-trims-only-the-outer-runs"
        ),
        pytest.param(f"Disk full <i>{T}</i>", "Disk full", id="text-then-html"),
        pytest.param(f"<p>Disk full {T}</p>", "Disk full", id="end-inside-html"),
    ],
)
def test_edge_stripping_in_message_mode(text: str, expected: str) -> None:
    result = strip_heartbeat_token(text, mode="message")
    assert result.did_strip is True
    assert result.text == expected
    assert result.should_skip is (expected == "")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(f"Done {T}!!!!!", id="five-trailing-non-word"),
        pytest.param(f"Done {T} !!!!", id="space-and-four-bangs-is-five"),
        pytest.param(f"Status {T} due to failure", id="middle"),
        pytest.param(f"Status {T}s", id="glued-word-after"),
        pytest.param(f"x{T}y", id="inside-a-word"),
        pytest.param(f"{T.lower()}", id="lower-case"),
        pytest.param("HEARTBEAT OK", id="space-instead-of-underscore"),
        pytest.param("HEARTBEAT_0K", id="zero-not-o"),
        pytest.param("Everything is fine.", id="no-token"),
    ],
)
def test_left_alone(text: str) -> None:
    result = strip_heartbeat_token(text, mode="message")
    assert result == StripResult(should_skip=False, text=text, did_strip=False)


def test_unchanged_means_byte_for_byte() -> None:
    text = "  Disk at 91%\n\n  please look  "
    assert strip_heartbeat_token(text).text == text
    middle = f"  a {T} b  "
    assert strip_heartbeat_token(middle).text == middle


@pytest.mark.parametrize(
    ("ack_max_chars", "remainder", "should_skip"),
    [
        pytest.param(300, "x" * 300, True, id="at-limit-skips"),
        pytest.param(300, "x" * 301, False, id="over-limit-delivers"),
        pytest.param(5, "abcde", True, id="small-limit-at"),
        pytest.param(5, "abcdef", False, id="small-limit-over"),
        pytest.param(0, "x", False, id="zero-delivers-anything"),
        pytest.param(-1, "x", False, id="negative-is-zero"),
        pytest.param(-100, "x", False, id="very-negative-is-zero"),
        pytest.param(1, "🦞", True, id="emoji-is-one-character"),
    ],
)
def test_heartbeat_mode_ack_limit(ack_max_chars: int, remainder: str, should_skip: bool) -> None:
    result = strip_heartbeat_token(f"{T} {remainder}", ack_max_chars=ack_max_chars)
    assert result == StripResult(should_skip=should_skip, text=remainder, did_strip=True)


@pytest.mark.parametrize("ack_max_chars", [-5, 0, 300])
def test_nothing_left_is_a_skip_whatever_the_limit(ack_max_chars: int) -> None:
    for mode in ("heartbeat", "message"):
        result = strip_heartbeat_token(T, mode=mode, ack_max_chars=ack_max_chars)
        assert result == StripResult(should_skip=True, text="", did_strip=True)


def test_message_mode_keeps_a_short_remainder() -> None:
    result = strip_heartbeat_token(f"{T} ok", mode="message", ack_max_chars=300)
    assert result == StripResult(should_skip=False, text="ok", did_strip=True)


def test_a_text_without_the_token_is_never_skipped_even_if_short() -> None:
    assert strip_heartbeat_token("ok").should_skip is False


def test_unknown_mode_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="mode"):
        strip_heartbeat_token(T, mode="chat")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("* " * 50_000 + T, id="many-markup-runs"),
        pytest.param("<a" * 50_000 + T, id="unclosed-tags"),
        pytest.param("!" * 100_000 + T + "!!!!!", id="long-punctuation"),
        pytest.param((T + " ") * 20_000, id="many-tokens"),
    ],
)
def test_adversarial_input_stays_fast(text: str) -> None:
    started = time.perf_counter()
    strip_heartbeat_token(text)
    parse_response(text)
    assert time.perf_counter() - started < 2.0


VECTORS_C = [
    pytest.param(
        f"{T} - all systems operational",
        ResponseParse(True, "start", "- all systems operational", True),
        id="C1",
    ),
    pytest.param(T, ResponseParse(True, "start", "", True), id="C2"),
    pytest.param(
        "⚠️ Build failed 3 times in the last hour. Check CI logs.",
        ResponseParse(
            False, "none", "⚠️ Build failed 3 times in the last hour. Check CI logs.", False
        ),
        id="C3",
    ),
    pytest.param(f"All clear. {T}", ResponseParse(True, "end", "All clear.", True), id="C4"),
    pytest.param(
        f"Status {T} due to watchdog failure",
        ResponseParse(False, "middle", f"Status {T} due to watchdog failure", False),
        id="C5",
    ),
    pytest.param("x" * 400 + f" {T}", ResponseParse(True, "end", "x" * 400, False), id="C6"),
]


@pytest.mark.parametrize(("text", "expected"), VECTORS_C)
def test_vectors_parse_response(text: str, expected: ResponseParse) -> None:
    assert parse_response(text) == expected


@pytest.mark.parametrize(
    ("text", "ack_max_chars", "expected"),
    [
        pytest.param(None, 300, ResponseParse(False, "none", "", True), id="none-is-dropped"),
        pytest.param(" \n", 300, ResponseParse(False, "none", "", True), id="blank-is-dropped"),
        pytest.param(f"{T} hi {T}", 300, ResponseParse(True, "start", "hi", True), id="both-start"),
        pytest.param(f"**{T}**", 300, ResponseParse(True, "start", "", True), id="markdown"),
        pytest.param(f"Done {T}!!", 300, ResponseParse(True, "end", "Done!!", True), id="glued"),
        pytest.param(f"{T} ok", 0, ResponseParse(True, "start", "ok", False), id="limit-zero"),
        pytest.param(f"{T} ok", -3, ResponseParse(True, "start", "ok", False), id="negative"),
        pytest.param(f"{T} ok", 2, ResponseParse(True, "start", "ok", True), id="at-limit"),
        pytest.param(
            f"x {T}!!!!!", 300, ResponseParse(False, "middle", f"x {T}!!!!!", False), id="5-tail"
        ),
    ],
)
def test_parse_response_rules(
    text: str | None, ack_max_chars: int, expected: ResponseParse
) -> None:
    assert parse_response(text, ack_max_chars) == expected


def test_parse_response_default_limit_is_300() -> None:
    assert parse_response(f"{T} " + "y" * 300).should_drop is True
    assert parse_response(f"{T} " + "y" * 301).should_drop is False
