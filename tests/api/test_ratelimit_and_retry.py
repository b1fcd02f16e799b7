"""Client-side rate limiter and retry timing on a fake monotonic clock (plus a real-time check)."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zinv_tui.api.ratelimit import ZETTLE_REQUESTS_PER_SECOND, RateLimiter, zettle_limiter
from zinv_tui.api.retry import RetryPolicy, parse_retry_after


class FakeClock:
    """A monotonic clock that only moves when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


async def _times_of(limiter: RateLimiter, clock: FakeClock, count: int) -> list[float]:
    times = []
    for _ in range(count):
        await limiter.acquire()
        times.append(clock.now)
    return times


async def test_burst_then_steady_rate() -> None:
    clock = FakeClock()
    limiter = RateLimiter(4.0, clock=clock, sleep=clock.sleep)
    start = clock.now
    times = await _times_of(limiter, clock, 12)
    assert times[:4] == [start] * 4  # the saved-up burst
    gaps = [b - a for a, b in itertools.pairwise(times[4:])]
    assert all(gap == pytest.approx(0.25) for gap in gaps)
    # Never more than burst + rate * elapsed requests in any prefix.
    for index, moment in enumerate(times, start=1):
        assert index <= 4 + (moment - start) * 4 + 1e-9


async def test_burst_of_one_spaces_every_request() -> None:
    clock = FakeClock()
    limiter = RateLimiter(4.0, burst=1, clock=clock, sleep=clock.sleep)
    times = await _times_of(limiter, clock, 5)
    assert [round(t - times[0], 6) for t in times] == [0.0, 0.25, 0.5, 0.75, 1.0]


async def test_idle_time_refills_but_never_beyond_the_burst() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2.0, burst=3, clock=clock, sleep=clock.sleep)
    await _times_of(limiter, clock, 3)
    clock.now += 3600
    start = clock.now
    times = await _times_of(limiter, clock, 5)
    assert times[:3] == [start] * 3
    assert times[3] == pytest.approx(start + 0.5)


async def test_hold_off_stops_everyone_and_allows_no_burst_after() -> None:
    clock = FakeClock()
    limiter = RateLimiter(4.0, clock=clock, sleep=clock.sleep)
    limiter.hold_off(2.0)
    start = clock.now
    times = await _times_of(limiter, clock, 3)
    assert times[0] == pytest.approx(start + 2.0)
    assert times[1] == pytest.approx(start + 2.25)
    assert times[2] == pytest.approx(start + 2.5)
    limiter.hold_off(0)  # nothing to do
    limiter.hold_off(-1)


async def test_concurrent_waiters_are_served_in_order() -> None:
    clock = FakeClock()
    limiter = RateLimiter(10.0, burst=1, clock=clock, sleep=clock.sleep)
    order: list[int] = []

    async def worker(number: int) -> None:
        await limiter.acquire()
        order.append(number)

    await asyncio.gather(*(worker(n) for n in range(8)))
    assert order == list(range(8))
    assert limiter.waited == pytest.approx(0.7)


async def test_a_write_goes_before_the_reads_waiting() -> None:
    clock = FakeClock()
    limiter = RateLimiter(4.0, burst=1, clock=clock, sleep=clock.sleep)
    order: list[str] = []

    async def request(name: str, write: bool = False) -> None:
        await limiter.acquire(first=write)
        order.append(name)

    reads = [asyncio.create_task(request(f"page {n}")) for n in range(6)]
    await asyncio.sleep(0)  # the pages queue up (the first one is sent)
    await request("movement", write=True)
    await asyncio.gather(*reads)
    assert order.index("movement") <= 2  # after at most one page more, not after all six
    assert sorted(order) == sorted(["movement", *(f"page {n}" for n in range(6))])
    assert clock.now - 1000.0 == pytest.approx(6 / 4.0)  # and the rate holds


async def test_a_clients_limiter_lets_a_short_commands_requests_go_at_once() -> None:
    clock = FakeClock()
    limiter = zettle_limiter(clock=clock, sleep=clock.sleep)
    start = clock.now
    times = await _times_of(limiter, clock, 7)  # a `move`: places, catalogue, stock, levels...
    assert times == [start] * 7 and limiter.waited == 0


async def test_a_clients_limiter_paces_a_long_run_under_zettles_average() -> None:
    clock = FakeClock()
    limiter = zettle_limiter(clock=clock, sleep=clock.sleep)
    start = clock.now
    times = await _times_of(limiter, clock, 400)
    assert times[7] > start  # the burst is spent: from here on, paced
    rate = ZETTLE_REQUESTS_PER_SECOND
    # Never more than the sandbox's model of Zettle allows (a bucket of 4/s saving up 2 s), from
    # any request on; and over the whole run, under 4 a second.
    for first, began in enumerate(times):
        for count, moment in enumerate(times[first:], start=1):
            assert count <= 2 * rate + (moment - began) * rate + 1e-9
    assert (len(times) - limiter.burst) / (times[-1] - start) <= rate * 0.95 + 1e-9
    assert limiter.waited == pytest.approx(times[-1] - start)


@pytest.mark.timeout(10)
async def test_real_clock_keeps_the_rate() -> None:
    limiter = RateLimiter(40.0, burst=2)
    started = time.monotonic()
    for _ in range(12):
        await limiter.acquire()
    elapsed = time.monotonic() - started
    assert elapsed >= (12 - 2) / 40.0 * 0.95
    assert elapsed < 2.0


def test_limiter_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        RateLimiter(0)
    with pytest.raises(ValueError):
        RateLimiter(4.0, burst=0.5)


@settings(deadline=None)  # no flaky deadlines on a busy CI machine
@given(st.integers(min_value=0, max_value=30), st.integers(min_value=0, max_value=2**32))
def test_full_jitter_stays_within_the_capped_exponential(attempt: int, seed: int) -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_cap=8.0, rng=random.Random(seed))
    delay = policy.backoff(attempt)
    assert 0.0 <= delay <= min(8.0, 0.5 * 2**attempt)


def test_jitter_actually_varies() -> None:
    policy = RetryPolicy(backoff_base=1.0, backoff_cap=10.0, rng=random.Random(7))
    delays = {round(policy.backoff(3), 6) for _ in range(20)}
    assert len(delays) > 10


def test_retry_policy_refuses_negative_settings() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_retries=-1)
    with pytest.raises(ValueError):
        RetryPolicy(backoff_base=-0.1)


def test_retry_after_in_seconds_and_as_a_date() -> None:
    assert parse_retry_after("1") == 1.0
    assert parse_retry_after(" 2.5 ") == 2.5
    assert parse_retry_after("-3") == 0.0
    now = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(later, now=now) == pytest.approx(30.0)
    earlier = format_datetime(now - timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(earlier, now=now) == 0.0
    for unusable in (None, "", "soon", "nan", "inf"):
        assert parse_retry_after(unusable) is None
