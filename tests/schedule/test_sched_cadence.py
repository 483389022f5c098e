"""Cadence: phases, slots and seeking into active hours (vectors F1–F6, DST nights)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from soulbeat.contract.active_hours import ActiveHours, is_within_active_hours
from soulbeat.schedule.cadence import (
    EPOCH,
    next_slot,
    phase_offset,
    plan_fingerprint,
    seek_active_slot,
    seek_step,
)
from soulbeat.schedule.plan import BeatPlan

H = timedelta(hours=1)
BERLIN = ZoneInfo("Europe/Berlin")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def window(start: str, end: str, zone: str = "UTC") -> ActiveHours:
    return ActiveHours(start, end, zone)


# -- phases ----------------------------------------------------------------------------------------
def test_F1_phase_is_stable_and_inside_the_interval() -> None:
    first = phase_offset("seed-1", "thread-42", timedelta(minutes=30))
    again = phase_offset("seed-1", "thread-42", timedelta(minutes=30))
    assert first == again
    assert timedelta(0) <= first < timedelta(minutes=30)


def test_phase_is_sha256_of_seed_and_thread_modulo_the_interval() -> None:
    import hashlib

    digest = int(hashlib.sha256(b"abc:t1").hexdigest(), 16)
    interval = timedelta(hours=4)
    expected = digest % (interval // timedelta(microseconds=1))
    assert phase_offset("abc", "t1", interval) == timedelta(microseconds=expected)


def test_phases_spread_threads_and_skills_differ_from_their_thread() -> None:
    interval = timedelta(hours=1)
    phases = {phase_offset("seed", f"t{i}", interval) for i in range(50)}
    assert len(phases) == 50
    assert phase_offset("seed", "t1", interval, "digest") != phase_offset("seed", "t1", interval)
    assert phase_offset("other", "t1", interval) != phase_offset("seed", "t1", interval)


@given(
    seed=st.text(max_size=20),
    thread=st.text(min_size=1, max_size=20),
    micros=st.integers(min_value=1, max_value=10**12),
)
def test_phase_always_in_range(seed: str, thread: str, micros: int) -> None:
    interval = timedelta(microseconds=micros)
    assert timedelta(0) <= phase_offset(seed, thread, interval) < interval


def test_phase_needs_a_positive_interval() -> None:
    with pytest.raises(ValueError):
        phase_offset("s", "t", timedelta(0))


# -- next slot -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2026, 1, 1, 10, 10), utc(2026, 1, 1, 10, 15)),
        (utc(2026, 1, 1, 10, 15), utc(2026, 1, 1, 11, 15)),
    ],
    ids=["before-the-slot", "exactly-on-the-slot"],
)
def test_F2_next_slot(now: datetime, expected: datetime) -> None:
    assert next_slot(now, H, timedelta(minutes=15)) == expected


@given(
    now=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
    micros=st.integers(min_value=1, max_value=10**11),
    fraction=st.floats(min_value=0, max_value=0.999),
)
def test_next_slot_is_the_first_grid_point_after_now(
    now: datetime, micros: int, fraction: float
) -> None:
    now = now.replace(tzinfo=UTC)
    interval = timedelta(microseconds=micros)
    phase = timedelta(microseconds=int(micros * fraction))
    slot = next_slot(now, interval, phase)
    assert now < slot <= now + interval
    assert (slot - EPOCH - phase) % interval == timedelta(0)


def test_next_slot_keeps_its_zone_as_utc() -> None:
    berlin_now = datetime(2026, 1, 1, 11, 10, tzinfo=BERLIN)
    assert next_slot(berlin_now, H, timedelta(minutes=15)) == utc(2026, 1, 1, 10, 15)
    assert next_slot(berlin_now, H, timedelta(minutes=15)).tzinfo == UTC


# -- seeking into active hours ---------------------------------------------------------------------
def test_F3_seeks_forward_on_the_grid_into_the_window() -> None:
    found = seek_active_slot(utc(2026, 1, 1, 19), 4 * H, window("08:00", "17:00"))
    assert found == utc(2026, 1, 2, 11)


def test_F4_overnight_window() -> None:
    found = seek_active_slot(utc(2026, 1, 1, 10), 4 * H, window("22:00", "06:00"))
    assert found == utc(2026, 1, 1, 22)


def test_F5_never_active_window_keeps_the_raw_slot_fast() -> None:
    raw = utc(2026, 1, 1, 10, 0, 7)
    began = time.perf_counter()
    assert seek_active_slot(raw, timedelta(seconds=30), window("09:00", "09:00")) == raw
    assert time.perf_counter() - began < 0.1


@pytest.mark.parametrize(
    "interval", [timedelta(minutes=30), timedelta(seconds=30), timedelta(seconds=45)]
)
def test_F6_short_intervals_jump_over_the_night(interval: timedelta) -> None:
    raw = utc(2026, 1, 1, 17)
    began = time.perf_counter()
    found = seek_active_slot(raw, interval, window("09:00", "17:00"))
    elapsed = time.perf_counter() - began
    assert found == utc(2026, 1, 2, 9)
    assert (found - raw) % interval == timedelta(0)
    assert elapsed < 0.1


def test_a_slot_inside_the_window_is_kept() -> None:
    raw = utc(2026, 1, 1, 12, 3)
    assert seek_active_slot(raw, H, window("09:00", "17:00")) == raw
    assert seek_active_slot(raw, H, None) == raw


def test_a_window_the_grid_never_hits_gets_an_off_grid_slot_inside_it() -> None:
    # 09:00–09:30 and a 4 h grid through 10:00, 14:00, ...: every slot misses every day, so the
    # slot moves off the grid into the next opening, at the phase's offset inside the window
    # (10:00 is 2 h into the 4 h grid; 2 h modulo the 30 min window is 0: 09:00 sharp).
    raw = utc(2026, 1, 1, 10)
    assert seek_active_slot(raw, 4 * H, window("09:00", "09:30")) == utc(2026, 1, 2, 9)
    shifted = utc(2026, 1, 1, 10, 10)
    assert seek_active_slot(shifted, 4 * H, window("09:00", "09:30")) == utc(2026, 1, 2, 9, 10)


def test_a_window_hit_only_days_later_is_found() -> None:
    # A 7 h grid moves by 3 h a day against the clock; 09:00–09:30 is hit after a few days.
    raw = utc(2026, 1, 1, 10)
    found = seek_active_slot(raw, 7 * H, window("09:00", "09:30"))
    assert found != raw
    assert (found - raw) % (7 * H) == timedelta(0)
    assert found - raw <= timedelta(days=7)
    assert is_within_active_hours(window("09:00", "09:30"), found)
    earlier = [raw + k * 7 * H for k in range(1, (found - raw) // (7 * H))]
    assert not any(is_within_active_hours(window("09:00", "09:30"), s) for s in earlier)


def test_seek_step_is_at_least_a_minute_on_the_grid() -> None:
    assert seek_step(timedelta(seconds=30)) == timedelta(seconds=60)
    assert seek_step(timedelta(seconds=45)) == timedelta(seconds=90)
    assert seek_step(timedelta(minutes=5)) == timedelta(minutes=5)


def test_a_window_in_the_users_zone() -> None:
    # 09:00–17:00 in New York (UTC-5 in January) opens at 14:00 UTC.
    found = seek_active_slot(
        utc(2026, 1, 1, 23), H, window("09:00", "17:00", "user"), "America/New_York"
    )
    assert found == utc(2026, 1, 2, 14)


def test_an_unreadable_window_means_always_active() -> None:
    raw = utc(2026, 1, 1, 3)
    assert seek_active_slot(raw, H, window("9am", "17:00")) == raw


@given(
    start=st.integers(0, 23 * 60 + 59),
    end=st.integers(0, 24 * 60),
    hours=st.integers(1, 48),
    minute=st.integers(0, 59),
    zone=st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"]),
    day=st.integers(0, 364),
)
def test_seek_matches_walking_the_grid(
    start: int, end: int, hours: int, minute: int, zone: str, day: int
) -> None:
    """The fast seek finds exactly what walking the slots one by one would find."""
    ah = window(f"{start // 60:02d}:{start % 60:02d}", f"{end // 60:02d}:{end % 60:02d}", zone)
    interval = timedelta(hours=hours, minutes=minute)
    raw = utc(2026, 1, 1, 0, 7) + timedelta(days=day, minutes=minute * 7)
    walked = raw
    step = seek_step(interval)
    slot = raw
    while slot <= raw + timedelta(days=7):
        if is_within_active_hours(ah, slot):
            walked = slot
            break
        slot += step
    found = seek_active_slot(raw, interval, ah)
    if walked != raw or is_within_active_hours(ah, raw):
        assert found == walked
    elif found != raw:
        # the grid never meets the window: the off-grid fallback lands inside the next opening
        assert raw < found <= raw + timedelta(days=8)
        assert is_within_active_hours(ah, found)


def test_a_daily_beat_meets_a_one_hour_window_whatever_its_phase() -> None:
    """Seed 000's summary bot: every 24 h, active 09:00–10:00. A phase outside the hour must not
    mean "never": the slot moves into the next 09:00–10:00, at a stable offset."""
    nine_to_ten = window("09:00", "10:00")
    for phase_hour in (0, 3, 9, 15, 23):
        raw = utc(2026, 1, 1, phase_hour, 17)
        found = seek_active_slot(raw, 24 * H, nine_to_ten)
        assert is_within_active_hours(nine_to_ten, found), (phase_hour, found)
        assert found - raw < timedelta(days=1, hours=1)
        # the next day's slot keeps the same minute inside the window
        again = seek_active_slot(raw + 24 * H, 24 * H, nine_to_ten)
        assert again - found == 24 * H


def test_a_daily_beat_follows_its_window_across_dst() -> None:
    # 09:00–10:00 Berlin is 08:00 UTC in winter and 07:00 UTC in summer: a grid at 08:30 UTC
    # meets it in March before the change and must still land inside it after.
    berlin = window("09:00", "10:00", "Europe/Berlin")
    before = seek_active_slot(utc(2026, 3, 27, 8, 30), 24 * H, berlin)
    after = seek_active_slot(utc(2026, 3, 30, 8, 30), 24 * H, berlin)
    assert before == utc(2026, 3, 27, 8, 30)
    assert is_within_active_hours(berlin, after)
    assert after.astimezone(BERLIN).hour == 9


# -- DST nights in Europe/Berlin -------------------------------------------------------------------
def test_window_across_spring_forward_night() -> None:
    # 22:00–06:00 Berlin; on 2026-03-29 the clocks jump 02:00 CET -> 03:00 CEST.
    night = window("22:00", "06:00", "Europe/Berlin")
    # From noon on the 28th (CET, UTC+1) the window opens at 22:00 CET = 21:00 UTC.
    assert seek_active_slot(utc(2026, 3, 28, 12), 30 * timedelta(minutes=1), night) == utc(
        2026, 3, 28, 21
    )
    # A slot at 06:30 CEST on the 29th (04:30 UTC) is past the window's end (06:00 CEST).
    assert seek_active_slot(utc(2026, 3, 29, 4, 30), H, night) == utc(2026, 3, 29, 20, 30)


def test_window_opening_inside_the_spring_forward_gap() -> None:
    # 02:30 does not exist on 2026-03-29 in Berlin: the window opens when the clock jumps to 03:00.
    gap = window("02:30", "03:30", "Europe/Berlin")
    found = seek_active_slot(utc(2026, 3, 28, 20), timedelta(minutes=15), gap)
    assert found == utc(2026, 3, 29, 1)
    assert found.astimezone(BERLIN).strftime("%H:%M") == "03:00"


def test_window_across_fall_back_night() -> None:
    # On 2026-10-25 the clocks go back 03:00 CEST -> 02:00 CET; 09:00 on the 25th is UTC+1.
    day = window("09:00", "17:00", "Europe/Berlin")
    assert seek_active_slot(utc(2026, 10, 24, 16), H, day) == utc(2026, 10, 25, 8)
    # The day before, 09:00 CEST is 07:00 UTC.
    assert seek_active_slot(utc(2026, 10, 23, 16), H, day) == utc(2026, 10, 24, 7)


def test_window_inside_the_repeated_fall_back_hour() -> None:
    # 02:00–02:30 Berlin happens twice on 2026-10-25: 00:00 UTC (CEST) and 01:00 UTC (CET).
    twice = window("02:00", "02:30", "Europe/Berlin")
    assert seek_active_slot(utc(2026, 10, 24, 22, 10), timedelta(minutes=20), twice) == utc(
        2026, 10, 25, 0, 10
    )
    assert seek_active_slot(utc(2026, 10, 25, 0, 40), timedelta(minutes=20), twice) == utc(
        2026, 10, 25, 1, 0
    )


# -- fingerprints ----------------------------------------------------------------------------------
def plan(**changes: object) -> BeatPlan:
    base = BeatPlan(thread_id="t1", skill="", enabled=True, interval=timedelta(minutes=30))
    fields = {**base.__dict__, **changes}
    return BeatPlan(**fields)  # type: ignore[arg-type]


def test_fingerprint_changes_with_interval_window_zone_and_enabled_only() -> None:
    base = plan_fingerprint(plan())
    assert plan_fingerprint(plan()) == base
    assert plan_fingerprint(plan(daily_token_budget=10, due_tasks=("x",))) == base
    assert plan_fingerprint(plan(interval=timedelta(minutes=31))) != base
    assert plan_fingerprint(plan(active_hours=window("09:00", "17:00"))) != base
    assert plan_fingerprint(plan(user_timezone="Europe/Berlin")) != base
    assert plan_fingerprint(plan(enabled=False)) != base
    assert plan_fingerprint(plan(enabled=False)) == plan_fingerprint(plan(interval=None))
