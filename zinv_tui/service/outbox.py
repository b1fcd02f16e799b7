"""The outbox sender: delivers journaled movements to Zettle in batches, exactly once.

How "exactly once" holds, without trusting Zettle to deduplicate:

- Every movement is in the journal (durable) before anything is sent. A batch, with its members and
  its key, is written before its first attempt and never changes afterwards.
- Before each attempt the balances the batch will change are read and kept with the attempt (the
  batch is *in doubt* from then on, durably, so a crash or a kill mid-send is covered too). An
  attempt ends as the backend reports it (:data:`~zinv_tui.service.backend.SendOutcome`):
  * applied: acknowledged (with the balances the answer reported, when it reported them);
  * refused before any work: the batch's fault (a multi-entry batch is split into single-entry
    batches to find the culprit, unless the backend named it, which is kept as NEEDS_ATTENTION
    with Zettle's words); or the key's fault (every entry needs attention at once, nothing is
    split or repeated);
  * surely not applied (throttled, Zettle never reached): retried with backoff, honouring
    ``Retry-After``;
  * unknown (a lost connection, a timeout, a 5xx, a 2xx that proves nothing): before anything is
    sent again the stock is read and compared with the reference (see
    :mod:`zinv_tui.service.outcome`): applied, acknowledged; not applied, sent again; can't tell,
    the entries need attention as *unconfirmed*, with what is known.
- While one process attempts a batch it holds the batch's lease in the journal, so a second
  process sharing the journal (the TUI and a CLI command) never sends the same batch meanwhile.
- Each attempt is watched (``answers``): one that Zettle keeps waiting past the usual time makes
  the service's status ``waiting`` instead of ``live`` until it ends.
- No single failure stops the sender: an unexpected error is logged and retried after a backoff
  (a batch it interrupted is in doubt and settled by reading).

How the screen never counts a movement twice (or loses one):

- The view keeps Zettle's absolute ``balance`` apart from own unacknowledged ``pending`` changes.
- Polls and sends take one shared lock, so a poll's answer is entirely before or entirely after each
  send attempt. On an acknowledgement the batch's changes leave ``pending`` and the balances come in
  as absolute numbers, in one step:
  * first attempt ever (attempts are counted in the journal *before* sending, so a send cut short
    by a crash counts), no poll since: the answer's STORE balances (where the backend reports them)
    are the state right after the movement; a POS sale after it changed the ledger after the last
    poll's cursor, so the next incremental poll brings it;
  * settled by reading: the balances just read;
  * otherwise the affected products' balances are read afresh after the acknowledgement.
- Only while a batch is *in doubt* can the screen show its effect twice (applied, reported by a
  poll, still pending). It ends as soon as reading settles it; unconfirmed entries leave
  ``pending`` at once, so Zettle's own balance (with or without them) is what the screen shows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import uuid
from collections.abc import Awaitable, Callable

from zinv_tui.api.errors import ACCESS_REFUSALS, NetworkError, ZettleError
from zinv_tui.service.answer_watch import AnswerWatch, watched
from zinv_tui.service.backend import (
    Applied,
    Movement,
    MovementBatch,
    NotApplied,
    Place,
    Refused,
    StockBackend,
)
from zinv_tui.service.journal import Batch, OutboxEntry, OutboxJournal
from zinv_tui.service.outcome import (
    Balances,
    Verdict,
    dump_balances,
    judge,
    load_balances,
    places_to_read,
    read_balances,
)
from zinv_tui.service.rows import RowKey

log = logging.getLogger(__name__)

MAX_BATCH_SIZE = 100
"""Movements per request (never more than the backend takes). Zettle documents no maximum; 100
keeps a request small and quick to repeat."""

MAX_RETRY_AFTER = 900.0
"""The longest ``Retry-After`` honoured as asked; a longer one (``999999``) waits this long."""

LEASE = 1800.0
"""Seconds a sender holds a batch it attempts (a process that ends gives it up at once)."""

BUSY_RETRY = 1.0
"""Seconds before looking again at a batch another process is sending."""

SettleCallback = Callable[[Batch, dict[RowKey, int] | None], Awaitable[None]]
"""Called (under the lock) with the acknowledged batch and the balances to trust (None: re-read)."""


def retry_delay(failures: int, base: float, cap: float, retry_after: float | None = None) -> float:
    """Seconds before the next try after ``failures`` failures in a row: doubling from ``base`` up
    to ``cap`` with 20 % jitter, and never sooner than a ``Retry-After`` (at most
    :data:`MAX_RETRY_AFTER`).

    The one rule for the TUI's sender and a CLI command waiting for its movements."""
    delay = min(cap, base * 2.0 ** min(max(failures - 1, 0), 30)) * random.uniform(0.8, 1.2)
    if retry_after:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return delay


_LIVE_SENDERS: set[str] = set()
"""Ids of this process's senders not closed yet."""


def _process_gone(sender: str) -> bool:
    """True when the sender named in a lease (``pid:token``) is gone: its process has ended, or
    it is of this process's pid but not one of its live senders (a killed earlier process with
    the same pid, as happens in containers)."""
    pid_text, _, _ = sender.partition(":")
    try:
        pid = int(pid_text)
    except ValueError:
        return True
    if pid == os.getpid():
        return sender not in _LIVE_SENDERS
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists, but not ours to signal
        return False
    return False


class OutboxSender:
    """Sends what the journal holds, oldest first; wakes on :meth:`wake` or after a backoff."""

    def __init__(
        self,
        backend: StockBackend,
        journal: OutboxJournal,
        lock: asyncio.Lock,
        store: Place,
        *,
        on_settled: SettleCallback,
        on_refused: Callable[[list[OutboxEntry]], None],
        on_state: Callable[[str | None], None],
        poll_generation: Callable[[], int],
        max_batch: int = MAX_BATCH_SIZE,
        retry_base: float = 1.0,
        retry_max: float = 60.0,
        answers: AnswerWatch | None = None,
    ) -> None:
        self._backend = backend
        self._answers = answers
        self._journal = journal
        self._lock = lock
        self.store = store
        """The STORE place shown (its balances settle the view); the service may switch it."""
        self._on_settled = on_settled
        self._on_refused = on_refused
        self._on_state = on_state
        self._poll_generation = poll_generation
        self.max_batch = max(1, min(int(max_batch), backend.capabilities.max_batch))
        self.retry_base = retry_base
        self.retry_max = retry_max
        self._wakeup = asyncio.Event()
        self._drain_lock = asyncio.Lock()
        self._failures = 0
        self._first_try: dict[int, int] = {}
        self._id = f"{os.getpid()}:{uuid.uuid4().hex[:12]}"
        _LIVE_SENDERS.add(self._id)
        self.last_error: str | None = None
        self.last_error_unreachable = False
        """The last failure was a :class:`NetworkError` (Zettle not reached), not an answer."""
        self.retry_after: float | None = None
        """What Zettle last asked to wait (``Retry-After``), while failures last."""
        self.next_try: float | None = None
        """Loop time of the next try after a failed round (None: nothing left to retry)."""
        self._not_before = 0.0
        self._round = asyncio.Event()

    def close(self) -> None:
        """The sender will not send again (its service stopped): its leases are void."""
        _LIVE_SENDERS.discard(self._id)

    def wake(self) -> None:
        """Something new to send (or a retry was asked for): try now, or as soon as Zettle's
        ``Retry-After`` allows."""
        self._failures = 0
        self._wakeup.set()

    async def run(self) -> None:
        """Loop forever: drain the journal, back off on failures, sleep until woken."""
        loop = asyncio.get_running_loop()
        while True:
            self._wakeup.clear()
            held = self._not_before - loop.time()
            if held > 0:  # Zettle said when: being woken does not make it sooner
                await asyncio.sleep(held)
            delay = await self.drain()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=delay)

    def round(self) -> asyncio.Event:
        """An event set when the round of sending under way (or the next one) has ended."""
        return self._round

    def _round_ended(self, delay: float | None) -> None:
        now = asyncio.get_running_loop().time()
        self.next_try = None if delay is None else max(now + delay, self._not_before)
        ended, self._round = self._round, asyncio.Event()
        ended.set()

    async def drain(self) -> float | None:
        """Send batches until none is left (None) or one fails (the delay before retrying).

        Never raises (but for cancellation): an unexpected failure is logged and retried later.
        """
        async with self._drain_lock:
            try:
                delay = await self._drain()
            except Exception as error:  # the sender must outlive any one failure
                log.warning("sending movements failed: %s: %s", type(error).__name__, error)
                log.debug("the failure", exc_info=True)
                delay = self._unexpected(error)
            self._round_ended(delay)
            return delay

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

    def _movements(self, batch: Batch) -> MovementBatch:
        """The batch as the backend sends it: each movement under its own key, the batch under
        the batch's key (the same on every attempt)."""
        movements = tuple(
            Movement(
                key=entry.external_uuid,
                product_uuid=entry.product_uuid,
                variant_uuid=entry.variant_uuid,
                from_place=entry.from_location_uuid,
                to_place=entry.to_location_uuid,
                quantity=entry.quantity,
            )
            for entry in batch.entries
        )
        store = self.store.uuid
        touches_store = any(store in (m.from_place, m.to_place) for m in movements)
        return MovementBatch(batch.external_uuid, movements, store if touches_store else None)

    async def _send(self, batch: Batch) -> float | None:
        """One attempt; returns None when settled (either way), else the delay before the next."""
        async with self._lock:
            if not self._journal.batch_is_open(batch.id):
                return None  # settled meanwhile (another process sharing the journal)
            if not self._journal.claim(batch.id, self._id, LEASE, gone=_process_gone):
                log.info("another process is sending batch %s; waiting", batch.id)
                return BUSY_RETRY
            try:
                with watched(self._answers):
                    return await self._attempt(batch)
            finally:
                self._journal.release(batch.id, self._id)

    async def _attempt(self, batch: Batch) -> float | None:
        places = places_to_read(batch.entries)
        in_doubt, kept = self._journal.doubt(batch.id)
        try:
            reference = await read_balances(self._backend, batch.entries, places)
        except ACCESS_REFUSALS as error:
            if in_doubt:  # it may have been applied: say so rather than "refused"
                self._unconfirmed(batch, load_balances(kept), None, error)
                return None
            self._refused_for_good(batch, error.words())
            return None
        except ZettleError as error:
            return self._failed(batch, error, in_doubt=None)
        if in_doubt:
            judgement = judge(batch.entries, load_balances(kept), reference)
            log.info("batch %s was in doubt: %s", batch.id, judgement.verdict.value)
            if judgement.verdict is Verdict.APPLIED:
                await self._settle(batch, self._at_store(reference))
                return None
            if judgement.verdict is Verdict.UNCLEAR:
                self._unconfirmed(batch, load_balances(kept), reference, None)
                return None
        generation = self._poll_generation()
        first_try = self._first_try.setdefault(batch.id, generation)
        earlier_attempts = self._journal.begin_attempt(batch.id, dump_balances(reference))
        trusted_answer = earlier_attempts == 0 and first_try == generation
        outcome = await self._backend.send(self._movements(batch))
        if isinstance(outcome, Applied):
            balances = dict(outcome.balances) if outcome.balances is not None else None
            await self._settle(batch, balances if trusted_answer else None)
            return None
        if isinstance(outcome, Refused):
            if outcome.access:
                self._refused_for_good(batch, outcome.words)
                return None
            self._journal.note_failure(batch.id, str(outcome.error), in_doubt=False)
            blamed = None
            if outcome.movements is not None:
                blamed = {e.id for e in batch.entries if e.external_uuid in outcome.movements}
            refused, _singles = self._journal.refuse(batch.id, outcome.words, only=blamed)
            self._first_try.pop(batch.id, None)
            if refused:
                log.warning("movement refused by Zettle: %s", outcome.words)
                self._on_refused(refused)
            self._succeeded()
            return None
        if isinstance(outcome, NotApplied):
            return self._failed(batch, outcome.error, in_doubt=False)
        if outcome.answered:
            return await self._settle_by_reading(batch, reference, places, outcome.error)
        lost = outcome.error or ZettleError("Zettle's answer was lost")
        return self._failed(batch, lost, in_doubt=True)

    async def _settle_by_reading(
        self,
        batch: Batch,
        reference: Balances,
        places: list[Place],
        error: ZettleError | None,
    ) -> float | None:
        """Zettle answered, but the answer proves nothing: read at once and settle."""
        log.info("batch %s: the answer proves nothing (%s); reading the stock", batch.id, error)
        try:
            now = await read_balances(self._backend, batch.entries, places)
        except ZettleError as read_error:
            return self._failed(batch, error or read_error, in_doubt=True)
        judgement = judge(batch.entries, reference, now)
        if judgement.verdict is Verdict.APPLIED:
            await self._settle(batch, self._at_store(now))
            return None
        if judgement.verdict is Verdict.NOT_APPLIED:
            # Zettle answered 2xx and did nothing: send it again, after a pause.
            message = "Zettle answered without applying the movement"
            return self._failed(batch, error or ZettleError(message), in_doubt=False)
        self._unconfirmed(batch, reference, now, None)
        return None

    def _unconfirmed(
        self,
        batch: Batch,
        before: Balances | None,
        now: Balances | None,
        error: ZettleError | None,
    ) -> None:
        """Reading could not settle the batch: its entries need the user's attention."""
        judgement = judge(batch.entries, before, now or {})
        notes = dict(judgement.notes)
        if error is not None:
            notes = {
                entry.id: (
                    "Unconfirmed: Zettle's answer was lost and checking the stock failed "
                    f"({error}) - check the balance in Zettle, then mark it applied if it is "
                    "there or send it again if it is missing"
                )
                for entry in batch.entries
            }
        entries = self._journal.unconfirm(batch.id, notes)
        self._first_try.pop(batch.id, None)
        log.warning("%d movement(s) unconfirmed: Zettle's answer was lost", len(entries))
        if entries:
            self._on_refused(entries)
        self._succeeded()
        return None

    def _refused_for_good(self, batch: Batch, words: str) -> None:
        """The key can't send movements (401 after a fresh token, 403, key rejected): every entry
        of the batch needs attention now; nothing is repeated."""
        entries = self._journal.refuse_all(batch.id, words)
        self._first_try.pop(batch.id, None)
        log.warning("movements refused by Zettle: %s", words)
        if entries:
            self._on_refused(entries)
        self.last_error = words
        self.last_error_unreachable = False
        self._on_state(self.last_error)
        return None

    def _at_store(self, balances: Balances) -> dict[RowKey, int]:
        return dict(balances.get(self.store.uuid, {}))

    async def _settle(self, batch: Batch, balances: dict[RowKey, int] | None) -> None:
        self._first_try.pop(batch.id, None)
        self._journal.acknowledge(batch.id, balances or {})
        self._succeeded()
        await self._on_settled(batch, balances)

    def _succeeded(self) -> None:
        self._failures = 0
        self.retry_after = None
        self._not_before = 0.0
        if self.last_error is not None:
            self.last_error = None
            self.last_error_unreachable = False
            self._on_state(None)

    def _failed(self, batch: Batch, error: ZettleError, *, in_doubt: bool | None) -> float:
        self._journal.note_failure(batch.id, str(error), in_doubt=in_doubt)
        self._failures += 1
        self.retry_after = error.retry_after
        delay = retry_delay(self._failures, self.retry_base, self.retry_max, error.retry_after)
        if error.retry_after:
            self._not_before = asyncio.get_running_loop().time() + delay
        log.info("sending movements failed (%s); retrying in %.1f s", error, delay)
        self.last_error = str(error)
        self.last_error_unreachable = isinstance(error, NetworkError)
        self._on_state(self.last_error)
        return delay

    def _unexpected(self, error: Exception) -> float:
        self._failures += 1
        self.last_error = f"Sending movements failed unexpectedly ({type(error).__name__})"
        self.last_error_unreachable = False
        with contextlib.suppress(Exception):
            self._on_state(self.last_error)
        return retry_delay(self._failures, self.retry_base, self.retry_max)
