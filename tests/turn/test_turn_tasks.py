"""Issue 15 item 4: completion, not just prompting — a HEARTBEAT.md task may say what "done"
means; the beat's record says which due tasks were addressed (named in ``tasks_addressed`` or
done by a tool) and which were due but not addressed."""

from __future__ import annotations

from turn_support import Bench, plan_for, write_workspace

from soulbeat.memory.completion import done_rule, task_report
from soulbeat.service.views import beat_view
from soulbeat.testing.llm import tool_calls_reply, tool_reply

TASKS = """# HEARTBEAT.md

## Every 1h inbox
Look at the inbox.
Done when: every mail older than a day has an answer.
Done by: recent_messages

## Daily 09:00 backups
Check last night's backup.
Done when: the backup log says OK.
"""
INBOX, BACKUPS = "every-1h-inbox", "daily-09-00-backups"  # the names HEARTBEAT.md gives them


def test_done_lines_are_read_from_a_task_body() -> None:
    rule = done_rule("Check it.\nDone when: all green\n- done by: ci.status, `read_file`\n")
    assert rule == rule.__class__("all green", ("ci.status", "read_file"))
    report = task_report(
        ["inbox", "backups"], {"inbox": "Done by: ci.*"}, ["BACKUPS", "x"], ["ci.status"]
    )
    assert report["addressed"] == [
        {"task": "inbox", "how": "tool"},
        {"task": "backups", "how": "tasks_addressed"},
    ]
    assert (report["unaddressed"], report["named_unknown"]) == ([], ["x"])


async def test_the_record_says_which_due_tasks_were_addressed(bench: Bench) -> None:
    write_workspace(bench.workspace, {"HEARTBEAT.md": TASKS})
    await bench.thread()
    runner = bench.runner(tool_kit=bench.tool_kit())
    plan = plan_for("t1", has_cadence_tasks=True, due_tasks=(INBOX, BACKUPS))
    bench.llm.script(
        tool_calls_reply(("recent_messages", {})),
        tool_reply("heartbeat_respond", {"notify": False, "summary": "inbox read"}),
    )
    result, record = await bench.run(runner=runner, plan=plan)
    tasks = result.audit["tasks"]
    assert tasks["addressed"] == [{"task": INBOX, "how": "tool"}]
    assert tasks["unaddressed"] == [BACKUPS]
    assert tasks["done_when"][BACKUPS] == "the backup log says OK."
    view = beat_view(record)
    assert (view["tasks_addressed"], view["tasks_unaddressed"]) == ([INBOX], [BACKUPS])
    assert "tasks_addressed" in bench.system_text(0)

    bench.llm.script(
        tool_reply(
            "heartbeat_respond", {"notify": False, "summary": "ok", "tasks_addressed": ["backups"]}
        )
    )
    again, _ = await bench.run(
        runner=runner, plan=plan_for("t1", has_cadence_tasks=True, due_tasks=(BACKUPS,))
    )
    assert again.audit["tasks"]["unaddressed"] == []
