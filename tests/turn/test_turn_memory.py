"""Issue 15 item 1: a beat's memory — the per-thread scratch (written through heartbeat_respond
or a tool, shown to the next beat, compare-and-swap, size cap, once per slot) and MEMORY.md edits
(versioned, on the audit record, published)."""

from __future__ import annotations

from datetime import timedelta

from turn_support import Bench, plan_for

from soulbeat.testing.llm import tool_calls_reply, tool_reply

ACK = {"notify": False, "summary": "nothing new"}


async def test_a_scratch_written_in_one_beat_is_shown_to_the_next(bench: Bench) -> None:
    await bench.thread()
    runner = bench.runner(tool_kit=bench.tool_kit())
    bench.llm.script(
        tool_reply("heartbeat_respond", {**ACK, "scratch": "disk at 91%, check again at 18:00"}),
        tool_reply("heartbeat_respond", ACK),
    )
    first, _ = await bench.run(runner=runner)
    assert "(empty; revision 0)" in bench.user_text(0)
    assert first.audit["memory"]["scratch_revision"] == 1
    assert first.audit["memory"]["edits"][0]["status"] == "written"
    await bench.run(runner=runner)
    shown = bench.user_text(1)
    assert "disk at 91%, check again at 18:00" in shown
    assert "(revision 1," in shown
    assert "scratch" in bench.system_text(1).lower()
    assert [e["revision"] for e in bench.events.of("scratch.changed")] == [1]
    assert (await bench.store.get_scratch("t1")).content == "disk at 91%, check again at 18:00"


async def test_the_scratch_tool_runs_mid_beat_and_a_stale_base_is_a_conflict(bench: Bench) -> None:
    await bench.thread()
    await bench.store.write_scratch("t1", "a person's note", bench.clock.now())
    runner = bench.runner(tool_kit=bench.tool_kit())
    bench.llm.script(
        tool_calls_reply(
            ("scratch_write", {"content": "stale write", "base_revision": 0}),
            ("scratch_write", {"content": "fresh write", "base_revision": 1}),
        ),
        tool_reply("heartbeat_respond", ACK),
    )
    result, _ = await bench.run(runner=runner)
    answers = [run["answer"] for run in result.audit["tool_calls"]]
    assert '"status": "conflict"' in answers[0] and "revision 1, not 0" in answers[0]
    assert '"status": "written"' in answers[1]
    assert (await bench.store.get_scratch("t1")).content == "fresh write"
    statuses = [e["status"] for e in result.audit["memory"]["edits"]]
    assert statuses == ["conflict", "written"]


async def test_an_oversized_scratch_is_refused_not_cut(bench: Bench) -> None:
    await bench.thread(scratch_max_bytes=10)
    runner = bench.runner(tool_kit=bench.tool_kit())
    bench.llm.script(tool_reply("heartbeat_respond", {**ACK, "scratch": "x" * 11}))
    result, _ = await bench.run(runner=runner)
    edit = result.audit["memory"]["edits"][0]
    assert edit["status"] == "refused" and "11 bytes" in edit["detail"]
    assert (await bench.store.get_scratch("t1")).revision == 0


async def test_memory_md_edits_are_versions_on_the_audit_record(bench: Bench) -> None:
    await bench.thread()
    (bench.workspace / "MEMORY.md").write_text("# Memory\n\n## Disk\nunknown\n", encoding="utf-8")
    kit = bench.tool_kit()
    runner = bench.runner(tool_kit=kit)
    bench.llm.script(
        tool_calls_reply(
            ("memory_replace_section", {"heading": "Disk", "body": "91% on 2026-01-01"}),
            ("memory_append", {"entry": "- the person prefers short alerts"}),
        ),
        tool_reply("heartbeat_respond", ACK),
    )
    result, record = await bench.run(runner=runner)
    text = (bench.workspace / "MEMORY.md").read_text(encoding="utf-8")
    assert text == "# Memory\n\n## Disk\n91% on 2026-01-01\n\n- the person prefers short alerts\n"
    versions = await kit.files.versions("default", "memory")
    assert [v.source for v in reversed(versions)] == [
        "disk",
        f"beat:{record.key}:0",
        f"beat:{record.key}:1",
    ]
    diff = await kit.files.diff("default", "memory", 1, 2)
    assert "-unknown" in diff and "+91% on 2026-01-01" in diff
    edits = result.audit["memory"]["edits"]
    assert [(e["kind"], e["status"]) for e in edits] == [
        ("memory.replace_section", "written"),
        ("memory.append", "written"),
    ]
    assert len(bench.events.of("memory.changed")) == 2
    rolled = await kit.files.rollback("default", "memory", 1)
    assert rolled.content.endswith("unknown\n")


async def test_soul_md_is_read_only_unless_the_config_allows(bench: Bench) -> None:
    await bench.thread()
    runner = bench.runner(tool_kit=bench.tool_kit())
    bench.llm.script(
        tool_reply("soul_propose", {"content": "# Evil\n", "why": "x"}),
        tool_reply("heartbeat_respond", ACK),
    )
    result, _ = await bench.run(runner=runner)
    names = [spec.name for spec in bench.llm.requests[0].tools]
    assert "soul_propose" not in names and "memory_append" in names
    assert "not a tool here" in result.audit["tool_calls"][0]["answer"]
    assert "Ada" in (bench.workspace / "SOUL.md").read_text(encoding="utf-8")


async def test_a_direct_soul_edit_is_written_as_a_version(bench: Bench) -> None:
    await bench.thread(soul_edits="direct")
    kit = bench.tool_kit()
    runner = bench.runner(tool_kit=kit)
    new_soul = "---\nname: Ada\n---\n# Ada\nCalm, precise and brief.\n"
    bench.llm.script(
        tool_reply("soul_propose", {"content": new_soul, "why": "the person asked for brevity"}),
        tool_reply("heartbeat_respond", ACK),
    )
    result, _ = await bench.run(runner=runner)
    assert (bench.workspace / "SOUL.md").read_text(encoding="utf-8") == new_soul
    assert result.audit["memory"]["edits"][0]["status"] == "written"


async def test_a_re_run_after_a_crash_writes_memory_once(bench: Bench) -> None:
    await bench.thread()
    kit = bench.tool_kit()
    bench.llm.script(
        tool_reply("memory_append", {"entry": "- seen once"}),
        tool_reply("heartbeat_respond", {**ACK, "scratch": "note"}),
    )
    await bench.clock.advance(1)
    lease = timedelta(minutes=15)
    claim = await bench.store.claim_wake("t1", "", "manual", bench.clock.now(), "w1", lease)
    assert claim is not None
    await bench.runner(tool_kit=kit).run(claim, plan_for("t1"), started_at=bench.clock.now())
    # the worker "died" before finishing: the same beat is claimed again and run
    await bench.store.release_worker("w1")
    again = await bench.store.claim_wake("t1", "", "manual", bench.clock.now(), "w1", lease)
    assert again is not None and again.key == claim.key and again.attempt == 2
    result = await bench.runner(tool_kit=kit).run(
        again, plan_for("t1"), started_at=bench.clock.now()
    )
    assert result.audit["resumed"]["decisions_replayed"] == 2
    text = (bench.workspace / "MEMORY.md").read_text(encoding="utf-8")
    assert text.count("seen once") == 1
    scratch = await bench.store.get_scratch("t1")
    assert (scratch.revision, scratch.content) == (1, "note")
    bench.llm.assert_script_consumed()
