"""SPEC §9.3: a reply that is the prompt copied back is never delivered (`soulbeat.turn.echo`).

The prompt is a real one, built by the turn's `build_prompt` with the shipped default SOUL.md, a
HEARTBEAT.md checklist, a message from the person and a monitor event. Echoes are written the
way small models write them (the rules, the task list, the soul, the file headings copied back);
the alerts quote that same prompt the way a good alert does, and must still be delivered.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from turn_support import Bench

from soulbeat.eval.run import default_soul
from soulbeat.turn.context import ContextBlock, TurnContext
from soulbeat.turn.echo import (
    COPIED_SHARE,
    MIN_NGRAMS,
    EchoSource,
    echo_reason,
    measure_echo,
)
from soulbeat.turn.prompt import Prompt, build_prompt, current_time_line, rules_section
from soulbeat.turn.reply import Payload, read_reply

TASKS = (
    "# HEARTBEAT.md\n\n## Checklist\n"
    "- Tell the person about outages, failed jobs and urgent requests.\n"
    "- Check that the nightly backup finished before 06:00.\n"
)
MESSAGE = "heads up: the payments API returns 502 since 09:10"
EVENT = "monitor: database primary unreachable for 5 minutes"


def prompt(profile: str = "full") -> Prompt:
    blocks = (
        ContextBlock("messages", "New messages since the last heartbeat", f"user: {MESSAGE}"),
        ContextBlock("events", "Queued system events", f"(api) {EVENT}", untrusted=True),
    )
    return build_prompt(
        prompt="Read HEARTBEAT.md if it exists (workspace context). Follow it strictly.",
        instructions=ContextBlock("instructions", "HEARTBEAT.md", TASKS),
        context=TurnContext("light", blocks, (), (), 1),
        soul=default_soul(),
        time_line=current_time_line(datetime(2026, 3, 4, 9, 30, tzinfo=UTC), UTC, "UTC"),
        tools_offered=True,
        mode="tools",
        profile=profile,  # type: ignore[arg-type]
    )


ECHOES = {
    "the-rules-verbatim": "{rules}",
    "the-task-list": "## Checklist\n- Tell the person about outages, failed jobs and urgent "
    "requests.\n- Check that the nightly backup finished before 06:00.",
    "the-soul": "You are not a help desk. You are someone with a point of view, and you are "
    "still becoming who you are. Help for real, not for show.",
    "the-file-heading-around-own-prose": "# HEARTBEAT.md\n## HEARING_OK\nThe person is reading "
    "your message. You can read it yourself if you want to.",
    "two-copied-lines": "## Notes\n- Tell the person about outages, failed jobs and urgent "
    "requests.\nSomething else entirely.\n- Check that the nightly backup finished before 06:00.",
    "the-prompt-line-and-the-time": "Read HEARTBEAT.md if it exists (workspace context). Follow "
    "it strictly.\nCurrent time: Wednesday 2026-03-04 09:30 (UTC) / 2026-03-04 09:30 UTC",
    "rules-then-a-copied-message": "{rules_head}\n" + MESSAGE,
    # SmolLM2-135M over the real server: a task line and the time line with other numbers
    "a-task-and-the-time-line-with-other-digits": "### Instructions\n- Tell the person about "
    "outages, failed jobs and urgent requests.\n- Do not repeat old tasks.\n\nCurrent time: "
    "Wednesday 2026-03-04 15:08 (UTC) / 2026-03-04 15:09 UTC",
}


def echo_text(name: str, profile: str) -> str:
    """The echo `name` as a model asked with the `profile` prompt would write it."""
    rules = rules_section(tools_offered=True, mode="tools", profile=profile)  # type: ignore[arg-type]
    head = "\n".join(rules.splitlines()[:3])
    return ECHOES[name].replace("{rules}", rules).replace("{rules_head}", head)


ALERTS = {
    "quotes-the-message-whole": MESSAGE,
    "quotes-the-message-line-with-its-sender": f"user: {MESSAGE} (please look)",
    "quotes-the-event-under-its-block-title": f"Queued system events\n(api) {EVENT}",
    "names-the-task-in-passing": "Outage: the payments API returns 502 since 09:10. Your "
    "checklist says to tell you about outages.",
    "two-problems-quoted": f"Two things need you:\n- {MESSAGE}\n- {EVENT}",
    "short-and-own-words": "Payments are failing (502) and the DB primary is down.",
}


@pytest.mark.parametrize("profile", ["full", "compact"])
@pytest.mark.parametrize("name", sorted(ECHOES))
def test_an_echo_of_the_prompt_is_unreadable_and_kept(name: str, profile: str) -> None:
    text = echo_text(name, profile)
    reading = read_reply([Payload(text)], echo=prompt(profile).echo_source)
    assert reading.kind == "unreadable", (name, reading)
    assert reading.decision is None
    assert reading.text == text.strip()  # kept for the audit record
    assert any("echoes the prompt" in problem for problem in reading.problems)


@pytest.mark.parametrize("profile", ["full", "compact"])
@pytest.mark.parametrize("name", sorted(ALERTS))
def test_an_alert_quoting_the_prompts_data_is_delivered(name: str, profile: str) -> None:
    text = ALERTS[name]
    reading = read_reply([Payload(text)], echo=prompt(profile).echo_source)
    assert (reading.kind, reading.text) == ("alert", text), measure_echo(
        text, prompt(profile).echo_source
    )


def test_a_message_the_instructions_quote_is_sent_as_written() -> None:
    """A task may give the very text to send; repeating it is the right alert, not an echo."""
    wanted = "Good morning! Time to stand up and stretch your legs for five minutes."
    tasks = f'# HEARTBEAT.md\n\n## Daily 09:00\n- Send the person "{wanted}"\n'
    built = build_prompt(
        prompt="Follow HEARTBEAT.md.",
        instructions=ContextBlock("instructions", "HEARTBEAT.md", tasks),
        context=TurnContext("light", (), (), (), 0),
        soul=default_soul(),
        time_line="Current time: Wednesday 2026-03-04 09:00 (UTC) / 2026-03-04 09:00 UTC",
        tools_offered=True,
    )
    assert read_reply([Payload(wanted)], echo=built.echo_source).kind == "alert"
    unquoted = f"## Daily 09:00\n- Send the person {wanted}"
    assert read_reply([Payload(unquoted)], echo=built.echo_source).kind == "unreadable"


def test_without_a_prompt_nothing_is_measured() -> None:
    reading = read_reply([Payload(ECHOES["the-task-list"])])
    assert reading.kind == "alert"


def test_an_echoed_message_in_a_respond_call_is_unreadable_too() -> None:
    call = {"notify": True, "message": ECHOES["the-soul"], "summary": "checked"}
    text = json.dumps({"name": "heartbeat_respond", "arguments": call})
    reading = read_reply([Payload(text)], echo=prompt().echo_source)
    assert reading.kind == "unreadable"
    assert reading.summary == "checked"


def test_the_measure_counts_sequences_and_lines() -> None:
    source = EchoSource(own="one two three four five six\nseven eight", data="nine ten")
    assert measure_echo("one two three", source).grams == 0  # fewer words than a sequence
    copied = measure_echo("one two three four five six seven eight", source)
    assert (copied.grams, copied.copied, copied.own) == (5, 5, 5)
    assert not copied.copies_sequences  # too short to tell: fewer than MIN_NGRAMS
    assert MIN_NGRAMS > 5
    lines = measure_echo("One, two; three four five six!\nSEVEN eight\nmine", source)
    assert lines.lines == 2 and lines.copies_lines
    timed = EchoSource(own="Current time: 09:30 (UTC)\nwatch the disk", data="ten past 09:10")
    assert measure_echo("Current time: 15:08 (UTC)\nWatch the disk!", timed).lines == 2
    assert measure_echo("ten past 11:45", timed).lines == 0  # not the prompt's own line
    inside = EchoSource(titles=("Instructions (HEARTBEAT.md)",))
    assert measure_echo("# HEARTBEAT.md\nwhat you are", inside).titled  # a file in a title
    assert not measure_echo("Check HEARTBEAT.md for the backup task", inside).titled
    titled = measure_echo("# HEARTBEAT.md\nfine", EchoSource(titles=("HEARTBEAT.md",)))
    assert titled.titled and echo_reason("# HEARTBEAT.md\nfine", titled_source()) is not None


def titled_source() -> EchoSource:
    return EchoSource(titles=("HEARTBEAT.md",))


def test_data_the_prompt_also_holds_does_not_count_as_its_own_words() -> None:
    words = "the backup of the main database failed at three this morning again"
    source = EchoSource(own=words, data=words)
    measure = measure_echo(words, source)
    assert measure.copied_share >= COPIED_SHARE and measure.own == 0
    assert echo_reason(words, source) is None


# -- through the runner: the echo is skipped with its text on the record ----------------------


async def test_an_echoed_prompt_is_skipped_unreadable_and_a_quoting_alert_is_sent(
    bench: Bench,
) -> None:
    (bench.workspace / "HEARTBEAT.md").write_text(TASKS, encoding="utf-8")
    await bench.thread(decision_mode="tools")
    await bench.store.add_message("t1", "user", MESSAGE, bench.clock.now())
    echo = ECHOES["the-task-list"]
    bench.llm.script(echo, MESSAGE)
    first, _ = await bench.run()
    assert MESSAGE in bench.user_text()
    assert (first.outcome, first.skip_reason) == ("skipped", "unreadable")
    assert first.audit["reply"]["text"] == echo
    assert any("echoes the prompt" in p for p in first.audit["reply"]["problems"])
    second, _ = await bench.run()
    assert (second.outcome, second.alert_text) == ("sent", MESSAGE)
    assert [d.text for d in bench.thread_channel.deliveries] == [MESSAGE]
