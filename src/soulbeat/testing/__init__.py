"""Test doubles shipped with soulbeat, one strict fake per protocol (type-checked like the rest).

| protocol | double |
|---|---|
| `Clock` | `FakeClock` — moves only when told |
| `ActionExecutor` | `BareExecutor` — the executor contract without governance |
| `LLMProvider` | `ScriptedLLM` — strict: an unscripted call fails |
| (the model server) | `FakeLLMServer` — real HTTP on 127.0.0.1, Ollama and OpenAI protocols |
| `Channel` | `RecordingChannel` — records deliveries, can be told to fail |
| `BeatRunner` | `RecordingRunner` — records beats, scripted results, can block or raise |
| `Planner` | `StaticPlanner` — plans set by hand |
| (an HTTP peer) | `AppServer` — an ASGI app on a real uvicorn on 127.0.0.1, in a thread |
"""

from soulbeat.actions.bare import BareExecutor
from soulbeat.testing.channel import RecordingChannel
from soulbeat.testing.clock import FakeClock
from soulbeat.testing.live import AppServer
from soulbeat.testing.llm import ScriptedLLM, fail, reply, tool_calls_reply, tool_reply
from soulbeat.testing.llm_server import FakeLLMServer, unused_local_url
from soulbeat.testing.planner import StaticPlanner
from soulbeat.testing.runner import RecordingRunner, RunnerCall

__all__ = [
    "AppServer",
    "BareExecutor",
    "FakeClock",
    "FakeLLMServer",
    "RecordingChannel",
    "RecordingRunner",
    "RunnerCall",
    "ScriptedLLM",
    "StaticPlanner",
    "fail",
    "reply",
    "tool_calls_reply",
    "tool_reply",
    "unused_local_url",
]
