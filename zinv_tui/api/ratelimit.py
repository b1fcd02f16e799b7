"""A client-side token bucket that keeps the client under Zettle's 4 requests per second.

Zettle's limit is "not a hard limit": it "measures the average rate in a short time period"
(zettle-v3.md §1.4). So the bucket a client uses (:func:`zettle_limiter`) starts full and saves up
:data:`BURST_SECONDS` of requests: a short command's first few requests (sign-in aside, 7) go at
once, while a long run is paced a little under the documented rate. The sandbox's throttle
models Zettle with the same bucket, so a client within this one is never throttled there.

Callers ``await limiter.acquire()`` before each request. Waiters are served first come, first
served, except that writes (``acquire(first=True)``: a stock movement, a tracking or low-stock
change) go before every read still waiting, so a long paged read or a sales-history download never
holds a movement back by more than one request. Time comes from a monotonic clock, so wall-clock
jumps never release a burst. When Zettle answers 429 with ``Retry-After``,
:meth:`RateLimiter.hold_off` makes every caller wait, not only the one that was told.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

ZETTLE_REQUESTS_PER_SECOND = 4.0

BURST_SECONDS = 2.0
"""Requests a client may save up, in seconds of its pace (7.6 at Zettle's 4 a second)."""

HEADROOM = 0.95
"""Share of the allowed rate a client's sustained pace uses: requests that leave evenly spaced
can arrive a few milliseconds closer together, and Zettle's own bucket must not see that as a
burst."""


class RateLimiter:
    """Token bucket: ``rate`` tokens per second, at most ``burst`` saved up (default: ``rate``)."""

    def __init__(
        self,
        rate: float = ZETTLE_REQUESTS_PER_SECOND,
        burst: float | None = None,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if not rate > 0:
            raise ValueError("rate must be above zero requests per second")
        burst = rate if burst is None else burst
        if burst < 1:
            raise ValueError("burst must allow at least one request")
        self.rate = float(rate)
        self.burst = float(burst)
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.burst
        self._stamp = clock()
        self._not_before = 0.0
        self._lock = asyncio.Lock()
        self._first_lock = asyncio.Lock()
        self._writes_waiting = 0
        self._no_writes = asyncio.Event()
        self._no_writes.set()
        self.waited = 0.0
        """Total seconds callers spent waiting (for stats and tests)."""
        self.paced = 0.0
        """Of those, the seconds spent only keeping the pace (not held off by Zettle's
        ``Retry-After``): a command's time limit does not count them (see the pipeline)."""

    def _refill(self, now: float) -> None:
        if now <= self._stamp:  # nothing earned yet (or held off until a later stamp)
            return
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def hold_off(self, seconds: float) -> None:
        """Let no request start for ``seconds`` from now (Zettle said ``Retry-After``)."""
        if seconds <= 0:
            return
        now = self._clock()
        self._refill(now)
        until = now + seconds
        if until > self._not_before:
            self._not_before = until
            # Earn nothing while held off, and allow no burst straight after it.
            self._tokens = min(self._tokens, 1.0)
            self._stamp = until

    async def acquire(self, *, first: bool = False) -> None:
        """Wait until a request may be sent, then take one token (``first``: a write, served
        before the reads waiting)."""
        if first:
            self._writes_waiting += 1
            self._no_writes.clear()
            try:
                async with self._first_lock:
                    await self._take()
            finally:
                self._writes_waiting -= 1
                if not self._writes_waiting:
                    self._no_writes.set()
            return
        async with self._lock:
            while self._writes_waiting:
                await self._no_writes.wait()
            await self._take()

    async def _take(self) -> None:
        while True:
            now = self._clock()
            self._refill(now)
            delay = self._not_before - now
            # A token short by a rounding error is a token (a wait of 1e-17 s moves no clock).
            if delay <= 0 and self._tokens >= 1.0 - 1e-9:
                self._tokens = max(0.0, self._tokens - 1.0)
                return
            if delay <= 0:
                delay = (1.0 - self._tokens) / self.rate
                self.paced += delay
            self.waited += delay
            await self._sleep(delay)


def zettle_limiter(
    requests_per_second: float = ZETTLE_REQUESTS_PER_SECOND,
    burst: float | None = None,
    *,
    clock: Clock = time.monotonic,
    sleep: Sleep = asyncio.sleep,
) -> RateLimiter:
    """The limiter a client keeps under ``requests_per_second`` with: paced at :data:`HEADROOM`
    of it, starting full with ``burst`` requests saved up (default: :data:`BURST_SECONDS` of the
    paced rate, 7.6 at Zettle's 4 a second: a little under Zettle's 8, as the first request may
    arrive late and the next ones early)."""
    rate = requests_per_second * HEADROOM
    if burst is None:
        burst = max(1.0, rate * BURST_SECONDS)
    return RateLimiter(rate, burst, clock=clock, sleep=sleep)
