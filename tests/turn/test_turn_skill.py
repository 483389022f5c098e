"""A skill's beat: its own HEARTBEAT.md (else its SKILL.md body), its config over the thread's."""

from __future__ import annotations

import pytest
from turn_support import Bench, plan_for, write_workspace

from soulbeat.errors import WorkspaceError
from soulbeat.workspace.templates import init_workspace

SKILL = """\
---
name: garden
description: Looks after the garden.
heartbeat:
  every: "1h"
  model: garden-model
---
# garden
Water the tomatoes when the soil is dry.
"""


async def test_a_skill_beat_uses_the_skills_heartbeat_file(bench: Bench) -> None:
    init_workspace(bench.workspace)  # the default template: skill inbox-watch with HEARTBEAT.md
    own = bench.workspace / ".agents" / "skills" / "inbox-watch" / "HEARTBEAT.md"
    own.write_text("## Checklist\n- Read the queued events since the last beat.\n")
    await bench.thread()
    bench.llm.script("HEARTBEAT_OK")
    result, _ = await bench.run(skill="inbox-watch", plan=plan_for("t1", "inbox-watch"))
    user = bench.user_text()
    assert "Instructions of skill inbox-watch (HEARTBEAT.md)" in user
    assert "Read the queued events since the last beat." in user
    assert "Check whether the disk is almost full" not in user  # not the main HEARTBEAT.md
    assert result.audit["instructions"]["origin"] == "skill"
    assert result.audit["instructions"]["path"].endswith("inbox-watch/HEARTBEAT.md")
    assert result.audit["config"]["every"] == "1h"
    assert result.audit["skill"] == "inbox-watch"


async def test_a_skill_without_heartbeat_file_uses_its_skill_body(bench: Bench) -> None:
    write_workspace(bench.workspace, {".agents/skills/garden/SKILL.md": SKILL})
    await bench.thread()
    bench.llm.script("HEARTBEAT_OK")
    result, _ = await bench.run(skill="garden", plan=plan_for("t1", "garden"))
    user = bench.user_text()
    assert "Instructions of skill garden (SKILL.md)" in user
    assert "Looks after the garden." in user and "Water the tomatoes" in user
    assert "heartbeat:" not in user  # front matter is not instructions
    assert bench.llm.last_request.model == "garden-model"
    assert result.audit["instructions"]["origin"] == "skill-body"


async def test_a_skill_that_is_gone_raises_for_the_scheduler_to_record(bench: Bench) -> None:
    await bench.thread()
    with pytest.raises(WorkspaceError, match="no longer exists"):
        await bench.run(skill="ghost", plan=plan_for("t1", "ghost"))
