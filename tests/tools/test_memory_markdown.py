"""The pure MEMORY.md edits of issue 15: append an entry, replace one section."""

from __future__ import annotations

from soulbeat.memory.markdown import append_entry, replace_section

DOC = """# Memory

## People
- Ann prefers mornings

### Ann's projects
- soulbeat

## Systems
```
## not a heading inside a fence
```
disk 80%
"""


def test_append_adds_a_paragraph_at_the_end() -> None:
    assert append_entry("", " - first ") == "- first\n"
    assert append_entry("# Memory\n\n\n", "- x") == "# Memory\n\n- x\n"


def test_replace_keeps_the_heading_and_what_follows() -> None:
    new, existed = replace_section(DOC, "people", "- Ann prefers evenings")
    assert existed
    assert new.startswith("# Memory\n\n## People\n- Ann prefers evenings\n\n## Systems\n")
    assert "Ann's projects" not in new  # a deeper section belongs to the one replaced


def test_a_heading_inside_a_code_fence_is_not_a_section() -> None:
    new, existed = replace_section(DOC, "Systems", "disk 91%")
    assert existed and new.endswith("## Systems\ndisk 91%\n")
    assert "not a heading inside a fence" not in new


def test_a_missing_section_is_appended() -> None:
    new, existed = replace_section("# Memory\n", "Backups", "nightly at 02:00")
    assert (new, existed) == ("# Memory\n\n## Backups\nnightly at 02:00\n", False)
