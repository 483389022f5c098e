"""Request and response bodies of the HTTP API (pydantic at the edge).

Request bodies refuse unknown fields (a misspelt field is a 422 naming it, not silently ignored)
and text that cannot be stored as UTF-8 (lone surrogates). Response models describe the JSON
views of `soulbeat.service.views`; they allow extra keys, so a view that grows a field does not
break the API, and the OpenAPI document gives the panel its types.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

__all__ = [
    "BeatOut",
    "ConfigChanges",
    "ErrorOut",
    "EventCreate",
    "EventOut",
    "FileOut",
    "FileVersionOut",
    "FileWrite",
    "HookWake",
    "MessageCreate",
    "MessageOut",
    "Rollback",
    "RunNow",
    "ThreadCreate",
    "ThreadOut",
]

MAX_MESSAGE_CHARS = 100_000
MAX_EVENT_CHARS = 20_000
NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
SKILL_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
Outcome = Literal["sent", "would-send", "ok-empty", "ok-token", "skipped", "failed", "interrupted"]


def _storable(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"text holds a character UTF-8 cannot store at {exc.start}") from None
    if "\x00" in text:
        raise ValueError("text holds a NUL character")
    return text


Text = Annotated[str, AfterValidator(_storable)]
"""Text that can be stored: valid UTF-8, no NUL."""


def _storable_tree(value: dict[str, Any]) -> dict[str, Any]:
    """Every key and text value in a JSON object, at any depth, is `Text` (checked without
    recursion, so a deeply nested body is a 422 rather than a crash)."""
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            _storable(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return value


ConfigChanges = Annotated[dict[str, Any], AfterValidator(_storable_tree)]
"""A partial heartbeat config as sent: any accepted spelling, checked by the service."""

_REQUEST = ConfigDict(extra="forbid", str_max_length=1_100_000)
_RESPONSE = ConfigDict(extra="allow")


# -- requests ---------------------------------------------------------------------------------
class ThreadCreate(BaseModel):
    """A new thread; without `id` one is made (`t-<hex>`)."""

    model_config = _REQUEST
    id: Annotated[Text | None, Field(max_length=128, examples=["kitchen"])] = None
    title: Annotated[Text, Field(max_length=200)] = ""
    agent: Annotated[Text, Field(max_length=64)] = "default"


class ThreadsCreate(BaseModel):
    """Many new threads at once (all or none): each as in `POST /api/threads`, or `count`
    threads named `<prefix><n>` (n from `start`)."""

    model_config = _REQUEST
    threads: Annotated[list[ThreadCreate], Field(max_length=100_000)] = []
    count: Annotated[int, Field(ge=0, le=100_000)] = 0
    prefix: Annotated[Text, Field(max_length=100, examples=["t-"])] = "t-"
    start: Annotated[int, Field(ge=0, le=10**9)] = 1
    agent: Annotated[Text, Field(max_length=64)] = "default"


class MessageCreate(BaseModel):
    """A person's message; the reply is the agent's chat turn."""

    model_config = _REQUEST
    text: Annotated[Text, Field(min_length=1, max_length=MAX_MESSAGE_CHARS)]
    channel: Annotated[str, Field(pattern=NAME_PATTERN)] = "api"


class EventCreate(BaseModel):
    """A system event for the thread's next beat; `now` wakes the thread at once."""

    model_config = _REQUEST
    text: Annotated[Text, Field(min_length=1, max_length=MAX_EVENT_CHARS)]
    wake: Literal["now", "next"] = "next"


class HookWake(BaseModel):
    """A webhook trigger: wakes `thread_id` with reason `hook:<name>`; `text` is queued first as
    an untrusted system event."""

    model_config = _REQUEST
    thread_id: Annotated[Text, Field(min_length=1, max_length=128)]
    text: Annotated[Text | None, Field(max_length=MAX_EVENT_CHARS)] = None
    name: Annotated[str, Field(pattern=NAME_PATTERN)] = "webhook"


class RunNow(BaseModel):
    """Which schedule to beat: the thread's own (no skill) or one skill's."""

    model_config = _REQUEST
    skill: Annotated[str | None, Field(pattern=SKILL_PATTERN)] = None


class FileWrite(BaseModel):
    """New content of SOUL.md or HEARTBEAT.md (recorded as a new version). With `base_sha256`
    (the hash the writer read) a file changed since is not overwritten: 409."""

    model_config = _REQUEST
    content: Text
    base_sha256: str | None = Field(default=None, pattern="^[0-9a-f]{64}$")


class Rollback(BaseModel):
    """Write version `version` again, as a new version."""

    model_config = _REQUEST
    version: Annotated[int, Field(ge=1, le=2**31)]


# -- responses --------------------------------------------------------------------------------
class ProblemOut(BaseModel):
    model_config = _RESPONSE
    key: str
    message: str
    value: Any = None
    expected: str | None = None


class ErrorOut(BaseModel):
    """Every error body: what went wrong, what to do, and for 422 each problem."""

    model_config = _RESPONSE
    error: str
    hint: str | None = None
    problems: list[ProblemOut] | None = None


class ScheduleOut(BaseModel):
    model_config = _RESPONSE
    skill: str
    next_due_at: str | None
    last_started_at: str | None = None
    last_finished_at: str | None = None


class ThreadOut(BaseModel):
    model_config = _RESPONSE
    id: str
    agent: str
    title: str
    enabled: bool
    created_at: str
    last_user_message_at: str | None = None
    last_channel: str | None = None
    config: dict[str, Any]
    next_due_at: str | None = None
    schedules: list[ScheduleOut] | None = None


class MessageOut(BaseModel):
    model_config = _RESPONSE
    id: int
    thread_id: str
    role: str
    text: str
    created_at: str
    channel: str | None = None
    beat_id: int | None = None


class EventOut(BaseModel):
    model_config = _RESPONSE
    id: int
    thread_id: str
    text: str
    created_at: str
    source: str
    consumed_at: str | None = None


class BeatOut(BaseModel):
    """A beat's summary; `audit` (the whole record of SPEC §7.4) only where said."""

    model_config = _RESPONSE
    id: int
    key: str
    thread_id: str
    skill: str
    reason: str
    status: str
    attempt: int
    due_at: str
    started_at: str | None = None
    finished_at: str | None = None
    outcome: str | None = None
    skip_reason: str | None = None
    error: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    alert_text: str | None = None
    duration_ms: float | None = None
    audit: dict[str, Any] | None = None


class FileOut(BaseModel):
    model_config = _RESPONSE
    agent: str
    kind: str
    path: str
    exists: bool
    content: str
    version: int | None
    sha256: str


class FileVersionOut(BaseModel):
    model_config = _RESPONSE
    version: int
    sha256: str
    content: str | None = None
