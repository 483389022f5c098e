"""`parse_heartbeat_md` and the effectively-empty rule beyond the vector rows."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from soulbeat.workspace.heartbeat_md import (
    HeartbeatInstructions,
    Section,
    is_heartbeat_content_effectively_empty,
    parse_heartbeat_md,
)
from soulbeat.workspace.tasks import Cadence

FENCE = "```"

SEED_000 = """## Checklist
- Check for urgent items
- Review new Ledger posts

## Rules
If no urgent items → take no action.
If 3+ new posts → post daily summary.

## Proactive Behaviors
- Vote on consensus questions
- Monitor core users
"""

SEED_004 = """# Heartbeat Checklist

## What to Check

1. **Pending Tasks**: Review outstanding tasks
2. **System Health**: Check for issues
3. **Important Updates**: Surface critical info

## Response Guidelines

- If nothing needs attention, reply with `HEARTBEAT_OK`
- If something needs attention, describe it clearly
- Don't include `HEARTBEAT_OK` in alerts
"""


def test_seed_000_example() -> None:
    parsed = parse_heartbeat_md(SEED_000)
    assert parsed.checklist == ("Check for urgent items", "Review new Ledger posts")
    assert parsed.rules == (
        "If no urgent items → take no action.",
        "If 3+ new posts → post daily summary.",
    )
    assert parsed.behaviors == ("Vote on consensus questions", "Monitor core users")
    assert [s.heading for s in parsed.sections] == ["Checklist", "Rules", "Proactive Behaviors"]
    assert parsed.tasks == () and parsed.problems == ()


def test_seed_004_example_keeps_bold_and_code() -> None:
    parsed = parse_heartbeat_md(SEED_004)
    assert parsed.checklist == (
        "**Pending Tasks**: Review outstanding tasks",
        "**System Health**: Check for issues",
        "**Important Updates**: Surface critical info",
    )
    assert parsed.rules[0] == "If nothing needs attention, reply with `HEARTBEAT_OK`"
    assert len(parsed.rules) == 3
    assert parsed.sections[0] == Section("Heartbeat Checklist", 1, "", None)


@pytest.mark.parametrize(
    ("heading", "field"),
    [
        ("Checklist", "checklist"),
        ("CHECKLIST", "checklist"),
        ("What to Check", "checklist"),
        ("what to check:", "checklist"),
        ("Tasks", "checklist"),
        ("Checks", "checklist"),
        ("**Checklist**", "checklist"),
        ("Checklist (morning)", "checklist"),
        ("Checklist - inbox", "checklist"),
        ("Checklist: inbox", "checklist"),
        ("Rules", "rules"),
        ("Response Guidelines", "rules"),
        ("guidelines", "rules"),
        ("Proactive Behaviors", "behaviors"),
        ("Behaviors", "behaviors"),
        ("Proactive Behaviours", "behaviors"),
    ],
)
def test_heading_variants(heading: str, field: str) -> None:
    parsed = parse_heartbeat_md(f"## {heading}\n- item\n")
    assert getattr(parsed, field) == ("item",)
    others = {"checklist", "rules", "behaviors"} - {field}
    assert all(getattr(parsed, other) == () for other in others)


@pytest.mark.parametrize("heading", ["Notes", "Checklists", "Rulesets", "Heartbeat Checklist"])
def test_unknown_headings_only_land_in_sections(heading: str) -> None:
    parsed = parse_heartbeat_md(f"## {heading}\n- item\n")
    assert (parsed.checklist, parsed.rules, parsed.behaviors) == ((), (), ())
    assert parsed.sections == (Section(heading, 2, "- item"),)


@pytest.mark.parametrize(
    ("line", "item"),
    [
        ("- dash", "dash"),
        ("* star", "star"),
        ("+ plus", "plus"),
        ("1. numbered", "numbered"),
        ("12) paren numbered", "paren numbered"),
        ("- [ ] open box", "open box"),
        ("- [x] done box", "done box"),
        ("- [X] Done box", "Done box"),
        ("[ ] bare box", "bare box"),
        ("  - indented", "indented"),
        ("plain line", "plain line"),
        ("**bold** stays", "**bold** stays"),
        ("- _emphasis_ stays", "_emphasis_ stays"),
        ("*not a marker*", "*not a marker*"),
        ("-not a marker", "-not a marker"),
    ],
)
def test_item_forms(line: str, item: str) -> None:
    assert parse_heartbeat_md(f"## Checklist\n{line}\n").checklist == (item,)


@pytest.mark.parametrize("line", ["", "   ", "-", "- [ ]", "---", "***", "<!-- note -->"])
def test_lines_that_are_not_items(line: str) -> None:
    assert parse_heartbeat_md(f"## Checklist\n{line}\n- real\n").checklist == ("real",)


def test_comments_and_fences_are_not_items() -> None:
    text = (
        "## Checklist\n"
        "- one <!-- inline note -->\n"
        "<!-- a comment\n- hidden item\nspanning lines -->\n"
        f"{FENCE}python\n- inside a fence\n# not a heading\n{FENCE}\n"
        "- two\n"
    )
    parsed = parse_heartbeat_md(text)
    assert parsed.checklist == ("one", "two")
    assert [s.heading for s in parsed.sections] == ["Checklist"]
    assert "inside a fence" in parsed.sections[0].text
    assert "hidden item" not in parsed.sections[0].text


def test_unnamed_sub_headings_inherit_and_named_ones_override() -> None:
    text = "## Checklist\n- a\n### Morning\n- b\n### Rules\n- r\n## Notes\n- n\n"
    parsed = parse_heartbeat_md(text)
    assert parsed.checklist == ("a", "b")
    assert parsed.rules == ("r",)
    assert [(s.heading, s.level, s.text) for s in parsed.sections] == [
        ("Checklist", 2, "- a"),
        ("Morning", 3, "- b"),
        ("Rules", 3, "- r"),
        ("Notes", 2, "- n"),
    ]


def test_text_before_the_first_heading_is_a_level_zero_section() -> None:
    parsed = parse_heartbeat_md("Remind me to call mom\n\n## Rules\n- be brief\n")
    assert parsed.sections[0] == Section("", 0, "Remind me to call mom")
    assert parsed.rules == ("be brief",)
    assert parse_heartbeat_md("\n\n# Title\n").sections == (Section("Title", 1, ""),)


def test_heading_markup() -> None:
    parsed = parse_heartbeat_md("## Rules ##\n- a\n#NotAHeading\n####### seven\n")
    assert parsed.sections[0].heading == "Rules"
    assert parsed.rules == ("a", "#NotAHeading", "####### seven")


def test_front_matter_is_skipped_only_when_clean() -> None:
    parsed = parse_heartbeat_md("---\nsummary: x\n---\n## Rules\n- a\n")
    assert parsed.rules == ("a",) and parsed.sections[0].heading == "Rules"
    ruled = parse_heartbeat_md("---\nplain words\n---\n")
    assert ruled.sections[0].heading == ""


def test_empty_and_blank_text() -> None:
    assert parse_heartbeat_md("") == HeartbeatInstructions()
    assert parse_heartbeat_md("\n  \n") == HeartbeatInstructions()


def test_cadence_headings_become_tasks_not_items() -> None:
    text = (
        "## Checklist\n- always\n"
        "## Daily 09:00\n- summarise yesterday\n### Details\nthree lines\n"
        "## Every 2h\nlook at CI\n"
        "## Weekly (Monday)\nplan the week\n"
        "## Continuous (every heartbeat)\nread events\n"
    )
    parsed = parse_heartbeat_md(text)
    assert parsed.checklist == ("always",)
    assert [(t.name, t.cadence.kind, t.prompt) for t in parsed.tasks] == [
        ("daily-09-00", "daily", "- summarise yesterday\n### Details\nthree lines"),
        ("every-2h", "every", "look at CI"),
        ("weekly-monday", "weekly", "plan the week"),
        ("continuous-every-heartbeat", "continuous", "read events"),
    ]
    assert parsed.tasks[0].cadence.at == time(9, 0)
    by_heading = {s.heading: s.cadence for s in parsed.sections}
    assert by_heading["Every 2h"] == Cadence("every", timedelta(hours=2))
    assert by_heading["Details"] is None and by_heading["Checklist"] is None


def test_a_named_heading_with_a_cadence_qualifier_is_a_task() -> None:
    parsed = parse_heartbeat_md("## Checklist (daily)\n- water the plants\n")
    assert parsed.checklist == ()
    (task,) = parsed.tasks
    assert (task.name, task.cadence, task.prompt) == (
        "checklist-daily",
        Cadence("daily"),
        "- water the plants",
    )


def test_invalid_cadences_are_problems_not_silence() -> None:
    parsed = parse_heartbeat_md("## Every 1h30\ncheck\n## Daily 25:00\nx\n## Every 0m\ny\n")
    assert parsed.tasks == ()
    assert len(parsed.problems) == 3
    assert "1h30" in parsed.problems[0] and "25:00" in parsed.problems[1]
    assert [s.heading for s in parsed.sections] == ["Every 1h30", "Daily 25:00", "Every 0m"]


def test_a_cadence_section_with_nothing_to_do_is_a_problem() -> None:
    parsed = parse_heartbeat_md("## Hourly\n<!-- later -->\n## Rules\n- a\n")
    assert parsed.tasks == ()
    assert parsed.problems and "Hourly" in parsed.problems[0]


def test_task_names_are_unique_in_file_order() -> None:
    parsed = parse_heartbeat_md("## Daily\na\n## daily\nb\n## **DAILY**\nc\n")
    assert [t.name for t in parsed.tasks] == ["daily", "daily-2", "daily-3"]


def test_nested_cadence_heading_is_its_own_task() -> None:
    parsed = parse_heartbeat_md("## Daily\na\n### Hourly\nb\n### More\nc\n")
    assert [(t.name, t.prompt) for t in parsed.tasks] == [
        ("daily", "a\n### More\nc"),
        ("hourly", "b"),
    ]


TASKS_BLOCK = """## Tasks
tasks:
  - name: inbox
    interval: 30m
    prompt: Check the inbox for urgent mail.
  - name: Build Status
    every: 2h
    prompt: |
      Look at CI.
      Report red builds.
  - name: standup
    cadence: daily 09:30
    prompt: Prepare the standup notes.
- plain item
"""


def test_tasks_block_in_the_open() -> None:
    parsed = parse_heartbeat_md(TASKS_BLOCK)
    assert [(t.name, t.cadence) for t in parsed.tasks] == [
        ("inbox", Cadence("every", timedelta(minutes=30))),
        ("build-status", Cadence("every", timedelta(hours=2))),
        ("standup", Cadence("daily", at=time(9, 30))),
    ]
    assert parsed.tasks[1].prompt == "Look at CI.\nReport red builds."
    assert parsed.checklist == ("plain item",)
    assert parsed.sections[0].text == "- plain item"
    assert parsed.problems == ()


def test_tasks_block_in_a_yaml_fence_takes_the_fence_with_it() -> None:
    text = (
        f"# HB\n\n{FENCE}yaml\ntasks:\n- name: a\n  interval: 5m\n  prompt: do a\n{FENCE}\nrest\n"
    )
    parsed = parse_heartbeat_md(text)
    assert [(t.name, t.cadence.interval, t.prompt) for t in parsed.tasks] == [
        ("a", timedelta(minutes=5), "do a")
    ]
    assert parsed.sections[0].text == "rest"


def test_tasks_line_followed_by_plain_bullets_is_plain_markdown() -> None:
    parsed = parse_heartbeat_md("## Checklist\ntasks:\n- Check email\n- Review PRs\n")
    assert parsed.tasks == ()
    assert parsed.checklist == ("tasks:", "Check email", "Review PRs")


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [
        ("  - interval: 5m\n    prompt: p\n", "no name"),
        ("  - name: x\n    interval: 5m\n", "no prompt"),
        ("  - name: x\n    prompt: p\n", "needs an interval"),
        ("  - name: x\n    interval: 1h30\n    prompt: p\n", "1h30"),
        ("  - name: x\n    interval: 0m\n    prompt: p\n", "zero"),
        ("  - name: x\n    interval: [1]\n    prompt: p\n", "duration"),
        ("  - name: x\n    cadence: sometimes\n    prompt: p\n", "sometimes"),
        ("  - name: x\n    prompt: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_tasks_block_entries_are_problems(entry: str, fragment: str) -> None:
    text = "tasks:\n  - name: ok\n    interval: 1h\n    prompt: fine\n" + entry
    parsed = parse_heartbeat_md(text)
    assert any(fragment in problem for problem in parsed.problems), parsed.problems
    if fragment != "not valid YAML":
        assert [t.name for t in parsed.tasks] == ["ok"]


def test_block_problem_line_numbers_count_front_matter() -> None:
    text = "---\na: 1\n---\n\ntasks:\n  - name: x\n    prompt: p\n"
    (problem,) = parse_heartbeat_md(text).problems
    assert "line 5" in problem


def test_heading_task_and_block_task_names_do_not_clash() -> None:
    text = (
        "## Every 5m (inbox)\ncheck\n\n"
        "tasks:\n  - name: every-5m-inbox\n    interval: 1h\n    prompt: p\n"
    )
    assert [t.name for t in parse_heartbeat_md(text).tasks] == [
        "every-5m-inbox",
        "every-5m-inbox-2",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<!-- only a comment -->", True),
        ("<!--\nmulti\nline\n-->\n# Title", True),
        ("# Title <!-- note -->\n- <!-- x -->", True),
        ("<!-- open comment never closed\nstuff", True),
        ("<!-- a --> real", False),
        ("-", True),
        ("* [ ]", True),
        ("+ [x]", True),
        ("- [ ] ", True),
        ("```", True),
        ("```python\n```", True),
        ("#TODO", False),
        ("####### seven", False),
        ("1.", False),
        ("~~~", False),
        ("---", False),
    ],
)
def test_effectively_empty_rules(text: str, expected: bool) -> None:
    assert is_heartbeat_content_effectively_empty(text) is expected
