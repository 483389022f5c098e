"""The soulbeat error tree, split by what the caller should do about it.

::

    SoulbeatError                       root: catch this to catch everything soulbeat raises
    ├── ConfigError(ValueError)         fix the configuration; carries key, value and expected form
    │   ├── InvalidIntervalError        an interval that is not in the grammar of SPEC §3.1
    │   ├── InvalidActiveHoursError     an HH:MM bound that is not valid (SPEC §3.2)
    │   └── InvalidTimezoneError        a timezone name that is not an IANA zone, `local` or `user`
    ├── WorkspaceError                  fix the files: a path escaping the workspace, a bad template
    │   └── EditConflictError           the file changed since the writer read it: reload, merge
    ├── StoreError                      the store could not do what was asked
    │   ├── NotFoundError               the thing asked for does not exist
    │   └── LeaseLostError              another worker owns this beat now: drop the result
    └── ProviderError                   the model server failed; `retryable` says whether to retry
        ├── ProviderUnavailableError    refused, timeout, 5xx, 429, open circuit: retry later
        └── ProviderRequestError        4xx or a reply that cannot be used: do not retry

Mistakes made by the model (an invalid action, a malformed reply) are data — lists of problems on
the audit record — never exceptions.
"""

from __future__ import annotations

from datetime import datetime


class SoulbeatError(Exception):
    """Root of every error soulbeat raises on purpose."""


class ConfigError(SoulbeatError, ValueError):
    """A configuration value is wrong. The message names the key, the value and what is expected."""

    def __init__(
        self,
        message: str,
        *,
        key: str | None = None,
        value: object = None,
        expected: str | None = None,
    ) -> None:
        super().__init__(message)
        self.key = key
        self.value = value
        self.expected = expected


class InvalidIntervalError(ConfigError):
    """Text that is not an interval (SPEC §3.1)."""


class InvalidActiveHoursError(ConfigError):
    """An active-hours bound that is not `HH:MM` (SPEC §3.2)."""


class InvalidTimezoneError(ConfigError):
    """A timezone that is neither an IANA name nor `local` / `user`."""


class InvalidCronError(ConfigError):
    """Text that is not a five-field cron expression (SPEC §9.2)."""


class WorkspaceError(SoulbeatError):
    """The workspace cannot be used as asked (a path escaping it, an unknown template)."""


class EditConflictError(WorkspaceError):
    """A write based on an older read: the file changed (on disk or through soulbeat) since.

    Carries the file's current hash and version so the writer can reload and merge."""

    def __init__(self, message: str, *, sha256: str, version: int | None) -> None:
        super().__init__(message)
        self.sha256 = sha256
        self.version = version


class ScratchConflictError(SoulbeatError):
    """A scratch write based on a revision that is no longer the thread's (compare-and-swap)."""

    def __init__(self, thread_id: str, expected: int, current: int) -> None:
        super().__init__(
            f"the scratch of thread {thread_id!r} is at revision {current}, not {expected}: "
            "read it again and write on top of what it holds now"
        )
        self.thread_id = thread_id
        self.expected = expected
        self.current = current


class StoreError(SoulbeatError):
    """The store could not do what was asked."""


class NotFoundError(StoreError, KeyError):
    """The thread, beat or other record asked for does not exist."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class LeaseLostError(StoreError):
    """The lease on a claimed beat expired and another worker took it: the result is dropped."""


class ProviderError(SoulbeatError):
    """The model server did not give a usable answer."""

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        reason: str = "provider-error",
        retry_after: float | datetime | None = None,
    ) -> None:
        super().__init__(message)
        #: short machine-readable reason recorded as the beat's failure reason
        self.reason = reason
        #: what the server's ``Retry-After`` asked for: seconds, or an aware UTC instant
        self.retry_after = retry_after


class ProviderUnavailableError(ProviderError):
    """Connection refused, timeout, 5xx, 429 or an open circuit: worth retrying later."""

    retryable = True


class ProviderRequestError(ProviderError):
    """The server refused the request (4xx) or answered with something unusable: do not retry."""
