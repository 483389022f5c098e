"""`soulbeat worker` runs from an app holding only the root options and that command (issue
12): which command lines take that path, and that the worker reads and documents its options
exactly as the full command line does."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from soulbeat.cli.app import app, command_of, worker_app


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["worker"], "worker"),
        (["worker", "--worker-id", "w1", "--json"], "worker"),
        (["--json", "worker"], "worker"),
        (["--url", "http://127.0.0.1:8420", "--token", "t", "worker"], "worker"),
        (["--url=http://127.0.0.1:8420", "worker"], "worker"),
        (["-c", "soulbeat.toml", "--data-dir", "d", "--workspace", "w", "worker"], "worker"),
        (["--workspace", "worker", "status"], "status"),  # "worker" is the option's value
        (["status"], "status"),
        (["--help", "worker"], None),
        (["--version", "worker"], None),
        (["--bogus", "worker"], None),
        (["-cfile.toml", "worker"], None),
        (["--json"], None),
        ([], None),
    ],
)
def test_the_command_is_read_after_the_root_options_only(
    args: list[str], expected: str | None
) -> None:
    assert command_of(args) == expected


@pytest.mark.parametrize(
    "args",
    [
        ["worker", "--help"],
        ["--json", "worker", "--help"],
        ["worker", "--no-such-option"],
        ["--url", "http://127.0.0.1:8420", "worker", "--worker-id"],
    ],
)
def test_the_worker_app_answers_as_the_full_command_line(args: list[str]) -> None:
    runner = CliRunner()
    alone = runner.invoke(worker_app(), args, terminal_width=100)
    full = runner.invoke(app, args, terminal_width=100)
    assert (alone.exit_code, alone.output) == (full.exit_code, full.output)
    assert "worker" in full.output  # the worker's own help or error, not the root's


def test_the_full_app_still_lists_every_command() -> None:
    listed = CliRunner().invoke(app, ["--help"], terminal_width=200).output
    for name in ("init", "serve", "worker", "status", "threads", "config", "ledger", "db"):
        assert f" {name} " in listed
