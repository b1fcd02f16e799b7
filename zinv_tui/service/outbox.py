"""The outbox sender: delivers journaled movements to Zettle in batches, exactly once.

How "exactly once" holds:

- Every movement is in the journal (durable) before anything is sent. A batch, with its members and
  its externalUuid, is written before its first attempt and re-sent unchanged until Zettle settles
  it, across timeouts, crashes and kills. Zettle applies one externalUuid once, so a re-send of an
  applied batch only fetches the first answer again.
- An entry is acknowledged only on a 2xx. A refusal that repeating can't fix (400/404/409/422) is
  never dropped: a multi-entry batch is split into single-entry batches to find the culprit, and the
  culprit is kept as NEEDS_ATTENTION with Zettle's words. Anything else (5xx, 429, no connection,
  an expired token) is retried with exponential backoff.

How the screen never counts a movement twice (or loses one):

- The view keeps Zettle's absolute ``balance`` apart from own unacknowledged ``pending`` changes.
- Polls and sends take one shared lock, so a poll's answer is entirely before or entirely after each
  send attempt. On an acknowledgement the batch's changes leave ``pending`` and the balances come in
  as absolute numbers, in one step:
  * first attempt ever (attempts are counted in the journal *before* sending, so a send cut short
    by a crash counts), no poll since: the PUT answer's STORE balances are the state right after
    the movement; a POS sale after it changed the ledger after the last poll's cursor, so the next
    incremental poll brings it;
  * a re-send (the first attempt may have been applied and a poll may already include it; a
    replayed answer may be older than that poll): the affected products' balances are read afresh
    after the acknowledgement instead of trusting the answer.
- Only while a batch is *in doubt* (sent, no answer yet) can the screen show its effect twice: the
  server may have applied it and a poll may report it while it is still pending. It resolves as soon
  as the re-send is answered. The ledger itself is never doubled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from uuid import UUID

from zinv_tui.api import ZettleClient
from zinv_tui.api.errors import (
    MalformedResponse,
    NetworkError,
    NotFound,
    RateLimited,
    RequestRejected,
    ZettleError,
)
from zinv_tui.api.models import MovementRequest, StockChange
from zinv_tui.service.journal import Batch, OutboxEntry, OutboxJournal
from zinv_tui.service.rows import RowKey

log = logging.getLogger(__name__)

MAX_BATCH_SIZE = 100
"""Changes per PUT. Zettle documents no maximum; 100 keeps a request small and quick to repeat."""

SettleCallback = Callable[[Batch, dict[RowKey, int] | None], Awaitable[None]]
"""Called (under the lock) with the acknowledged batch and the balances to trust (None: re-read)."""


class OutboxSender:
    """Sends what the journal holds, oldest first; wakes on :meth:`wake` or after a backoff."""

    def __init__(
        self,
        client: ZettleClient,
        journal: OutboxJournal,
        lock: asyncio.Lock,
        store_uuid: str,
        *,
        on_settled: SettleCallback,
        on_refused: Callable[[list[OutboxEntry]], None],
        on_state: Callable[[str | None], None],
        poll_generation: Callable[[], int],
        max_batch: int = MAX_BATCH_SIZE,
        retry_base: float = 1.0,
        retry_max: float = 60.0,
    ) -> None:
        self._client = client
        self._journal = journal
        self._lock = lock
        self._store_uuid = store_uuid
        self._on_settled = on_settled
        self._on_refused = on_refused
        self._on_state = on_state
        self._poll_generation = poll_generation
        self.max_batch = max(1, min(int(max_batch), 500))
        self.retry_base = retry_base
        self.retry_max = retry_max
        self._wakeup = asyncio.Event()
        self._drain_lock = asyncio.Lock()
        self._failures = 0
        self._first_try: dict[int, int] = {}
        self.last_error: str | None = None
        self.last_error_unreachable = False
        """The last failure was a :class:`NetworkError` (Zettle not reached), not an answer."""

    def wake(self) -> None:
        """Something new to send (or a retry was asked for): try now."""
        self._failures = 0
        self._wakeup.set()

    async def run(self) -> None:
        """Loop forever: drain the journal, back off on failures, sleep until woken."""
        while True:
            delay = await self.drain()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=delay)
            self._wakeup.clear()

    async def drain(self) -> float | None:
        """Send batches until none is left (None) or one fails (the delay before retrying)."""
        async with self._drain_lock:
            return await self._drain()

    async def _drain(self) -> float | None:
        while True:
            batch = self._journal.next_batch(self.max_batch)
            if batch is None:
                return None
            if not batch.entries:  # cannot happen unless the file was edited by hand
                self._journal.acknowledge(batch.id, {})
                continue
            delay = await self._send(batch)
            if delay is not None:
                return delay

    def _request(self, batch: Batch) -> MovementRequest:
        return MovementRequest(
            changes=[
                StockChange(
                    product_uuid=UUID(entry.product_uuid),
                    variant_uuid=UUID(entry.variant_uuid),
                    from_location_uuid=UUID(entry.from_location_uuid),
                    to_location_uuid=UUID(entry.to_location_uuid),
                    change=entry.quantity,
                )
                for entry in batch.entries
            ],
            return_balance_for_location_uuid=UUID(self._store_uuid),
            external_uuid=UUID(batch.external_uuid),
        )

    async def _send(self, batch: Batch) -> float | None:
        """One attempt; returns None when settled (either way), else the delay before the next."""
        request = self._request(batch)
        async with self._lock:
            if not self._journal.batch_is_open(batch.id):
                return None  # settled meanwhile (another process sharing the journal)
            generation = self._poll_generation()
            first_try = self._first_try.setdefault(batch.id, generation)
            earlier_attempts = self._journal.begin_attempt(batch.id)
            trusted_answer = earlier_attempts == 0 and first_try == generation
            try:
                answer = await self._client.move_stock(request)
            except (RequestRejected, NotFound) as error:
                self._journal.note_failure(batch.id, str(error))
                refused, _singles = self._journal.refuse(batch.id, _refusal(error))
                self._first_try.pop(batch.id, None)
                if refused:
                    log.warning("movement refused by Zettle: %s", _refusal(error))
                    self._on_refused(refused)
                self._succeeded()
                return None
            except MalformedResponse as error:
                if error.status is not None and 200 <= error.status < 300:
                    # Applied (2xx) but the answer is unreadable: acknowledge, re-read balances.
                    await self._settle(batch, None)
                    return None
                return self._failed(batch, error)
            except ZettleError as error:
                return self._failed(batch, error)
            balances = {
                (str(line.product_uuid), str(line.variant_uuid)): line.balance
                for line in answer.variants
                if line.location_uuid is None or str(line.location_uuid) == self._store_uuid
            }
            await self._settle(batch, balances if trusted_answer else None)
        return None

    async def _settle(self, batch: Batch, balances: dict[RowKey, int] | None) -> None:
        self._first_try.pop(batch.id, None)
        self._journal.acknowledge(batch.id, balances or {})
        self._succeeded()
        await self._on_settled(batch, balances)

    def _succeeded(self) -> None:
        self._failures = 0
        if self.last_error is not None:
            self.last_error = None
            self.last_error_unreachable = False
            self._on_state(None)

    def _failed(self, batch: Batch, error: ZettleError) -> float:
        self._journal.note_failure(batch.id, str(error))
        self._failures += 1
        delay = min(self.retry_max, self.retry_base * 2 ** (self._failures - 1))
        delay *= random.uniform(0.8, 1.2)
        if isinstance(error, RateLimited) and error.retry_after:
            delay = max(delay, error.retry_after)
        log.info("sending movements failed (%s); retrying in %.1f s", error, delay)
        self.last_error = str(error)
        self.last_error_unreachable = isinstance(error, NetworkError)
        self._on_state(self.last_error)
        return delay


def _refusal(error: ZettleError) -> str:
    """Zettle's own words when it gave some, else the client's plain sentence."""
    detail = error.developer_message or ""
    if error.violations:
        detail = "; ".join(
            filter(None, [detail, *(v.developer_message or "" for v in error.violations)])
        )
    if detail and detail not in str(error):
        return f"{error} ({detail})"
    return str(error)
