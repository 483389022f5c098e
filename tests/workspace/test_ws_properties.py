"""Property tests: the parsers take any text without raising, and caps are never exceeded."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from soulbeat.workspace.bootstrap import apply_caps, truncate_for_cap
from soulbeat.workspace.front_matter import parse_front_matter
from soulbeat.workspace.heartbeat_md import (
    is_heartbeat_content_effectively_empty,
    parse_heartbeat_md,
)
from soulbeat.workspace.tasks import check_cadence, parse_cadence

# Pieces that steer random text towards the interesting syntax of each parser.
MD_PIECES = st.sampled_from([
    "#", "## ", "### Checklist", "## Rules", "## Every 2h", "## Daily 09:00", "## Weekly (Mon)",
    "- ", "* ", "+ ", "1. ", "[ ] ", "[x] ", "```", "```yaml", "~~~", "<!--", "-->", "---",
    "tasks:", "  - name: a", "    interval: 5m", "    prompt: p", "\n", "\n\n", "  ", "\t",
    "**", "_", "`", ":", "(", ")", "every", "daily", "text", "\r\n", "\ufeff",
])  # fmt: skip
MARKDOWN = st.one_of(st.text(), st.lists(MD_PIECES | st.text(max_size=5)).map("".join))
CADENCE_WORDS = st.sampled_from([
    "every", "hourly", "daily", "weekly", "continuous", "at", "on", "monday", "sun", "9",
    "09:00", "25:00", "9am", "13pm", "2h", "1h30", "0m", "1e9", "99999999999 weeks", "weeks",
    "minutes", "heartbeat", "(", ")", ":", "-", "**", "1.5", ".", "999999999", "day", "week",
])  # fmt: skip
HEADINGS = st.one_of(st.text(), st.lists(CADENCE_WORDS, max_size=6).map(" ".join))


@settings(max_examples=400)
@given(MARKDOWN)
def test_heartbeat_parsers_accept_any_text(text: str) -> None:
    parsed = parse_heartbeat_md(text)
    assert all(isinstance(item, str) and item for item in parsed.checklist)
    assert len({task.name for task in parsed.tasks}) == len(parsed.tasks)
    assert isinstance(is_heartbeat_content_effectively_empty(text), bool)


@given(
    st.one_of(
        st.text(),
        st.lists(
            st.sampled_from(["---", "\n", "a: 1", ": ", "- x", "[", "&a", "*a", "!!", "2024-13-45"])
        ).map("".join),
    )
)
def test_front_matter_accepts_any_text(text: str) -> None:
    mapping, body, problems = parse_front_matter(text)
    assert isinstance(mapping, dict) and isinstance(body, str) and isinstance(problems, list)
    assert all(isinstance(key, str) for key in mapping)


@settings(max_examples=400)
@given(HEADINGS)
def test_cadence_parsing_accepts_any_text(heading: str) -> None:
    cadence, problem = check_cadence(heading)
    assert cadence is None or problem is None
    assert parse_cadence(heading) == cadence


@settings(max_examples=400)
@given(st.text(max_size=40), st.text(max_size=3000), st.integers(min_value=-10, max_value=3000))
def test_truncate_never_exceeds_the_cap(name: str, text: str, cap: int) -> None:
    result = truncate_for_cap(name, text, cap)
    assert len(result) <= max(cap, 0)
    if len(text) <= cap:
        assert result == text


@given(
    st.lists(st.tuples(st.sampled_from(["A.md", "B.md"]), st.just("/p"), st.text(max_size=500))),
    st.integers(min_value=1, max_value=400),
    st.integers(min_value=0, max_value=1200),
)
def test_apply_caps_respects_both_caps(
    files: list[tuple[str, str, str]], per_file: int, total: int
) -> None:
    result = apply_caps(files, per_file, total)
    assert all(len(f.content) <= per_file for f in result.files)
    assert sum(len(f.content) for f in result.files) <= total
