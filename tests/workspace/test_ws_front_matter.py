"""`parse_front_matter`: the `---` block at the top of SOUL.md and SKILL.md."""

from __future__ import annotations

import pytest

from soulbeat.workspace.front_matter import parse_front_matter


def test_a_mapping_and_the_body_after_it() -> None:
    text = "---\nname: aria\nheartbeat:\n  every: 1h\n---\n# Body\ntext\n"
    assert parse_front_matter(text) == (
        {"name": "aria", "heartbeat": {"every": "1h"}},
        "# Body\ntext\n",
        [],
    )


@pytest.mark.parametrize(
    "text",
    ["# Just markdown\n", "", "text\n---\nname: x\n---\n", " ---\nname: x\n---\n"],
)
def test_no_front_matter(text: str) -> None:
    assert parse_front_matter(text) == ({}, text, [])


def test_crlf_bom_and_trailing_spaces() -> None:
    text = "\ufeff---  \r\nname: x\r\n---\r\nbody\r\n"
    assert parse_front_matter(text) == ({"name": "x"}, "body\r\n", [])


def test_empty_block_is_an_empty_mapping() -> None:
    assert parse_front_matter("---\n---\nbody") == ({}, "body", [])
    assert parse_front_matter("---\n# only a comment\n---\n") == ({}, "", [])


def test_never_closed() -> None:
    mapping, body, problems = parse_front_matter("---\nname: x\n")
    assert (mapping, body) == ({}, "---\nname: x\n")
    assert problems and "never closed" in problems[0]


@pytest.mark.parametrize(
    ("block", "fragment"),
    [
        ("name: [unclosed", "not valid YAML"),
        ("- a\n- b", "mapping"),
        ("just words", "mapping"),
        ("when: 2024-13-45", "not valid YAML"),
        ("a: *nowhere", "not valid YAML"),
        ("!!python/object:os.system {}", "not valid YAML"),
    ],
)
def test_bad_blocks_are_problems_and_the_body_survives(block: str, fragment: str) -> None:
    mapping, body, problems = parse_front_matter(f"---\n{block}\n---\nbody\n")
    assert mapping == {} and body == "body\n"
    assert len(problems) == 1 and fragment in problems[0]


def test_keys_become_strings() -> None:
    assert parse_front_matter("---\n1: one\n2.5: x\n---\n")[0] == {"1": "one", "2.5": "x"}
