"""Test doubles shipped with soulbeat, one strict fake per protocol (type-checked like the rest).

- `FakeClock` for `Clock`
"""

from soulbeat.testing.clock import FakeClock

__all__ = ["FakeClock"]
