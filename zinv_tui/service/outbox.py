"""The outbox sender: delivers journaled movements to Zettle in batches, exactly once.

How "exactly once" holds, without trusting Zettle to deduplicate:

- Every movement is in the journal (durable) before anything is sent. A batch, with its members and
  its externalUuid, is written before its first attempt and never changes afterwards.
- Before each attempt the balances the batch will change are read and kept with the attempt (the
  batch is *in doubt* from then on, durably, so a crash or a kill mid-send is covered too). An
  attempt ends in one of three ways:
  * an answer that names every moved variant's STORE balance: acknowledged;
  * a refusal Zettle made before doing any work: a 400/404/409/422 is the batch's fault (a
    multi-entry batch is split into single-entry batches to find the culprit, which is kept as
    NEEDS_ATTENTION with Zettle's words); a 401 after a fresh token, a 403 or a rejected key is the
    key's fault (every entry needs attention at once, nothing is split or repeated); a 429 or a
    connection never made is retried with backoff, honouring ``Retry-After``;
  * anything else (a lost connection, a timeout, a 5xx, a 2xx that proves nothing): the outcome is
    unknown. Before anything is sent again the stock is read and compared with the reference (see
    :mod:`zinv_tui.service.outcome`): applied, acknowledged; not applied, sent again; can't tell,
    the entries need attention as *unconfirmed*, with what is known.
- While one process attempts a batch it holds the batch's lease in the journal, so a second
  process sharing the journal (the TUI and a CLI command) never sends the same batch meanwhile.
- No single failure stops the sender: an unexpected error is logged and retried after a backoff
  (a batch it interrupted is in doubt and settled by reading).

How the screen never counts a movement twice (or loses one):

- The view keeps Zettle's absolute ``balance`` apart from own unacknowledged ``pending`` changes.
- Polls and sends take one shared lock, so a poll's answer is entirely before or entirely after each
  send attempt. On an acknowledgement the batch's changes leave ``pending`` and the balances come in
  as absolute numbers, in one step:
  * first attempt ever (attempts are counted in the journal *before* sending, so a send cut short
    by a crash counts), no poll since: the PUT answer's STORE balances are the state right after
    the movement; a POS sale after it changed the ledger after the last poll's cursor, so the next
    incremental poll brings it;
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
from uuid import UUID

from zinv_tui.api import ZettleClient
from zinv_tui.api.errors import (
    ApiKeyRejected,
    NetworkError,
    NotFound,
    PermissionDenied,
    RequestRejected,
    TokenExpired,
    ZettleError,
)
from zinv_tui.api.models import LocationBalances, LocationType, MovementRequest, StockChange
from zinv_tui.service.journal import Batch, OutboxEntry, OutboxJournal
from zinv_tui.service.outcome import (
    Balances,
    Verdict,
    dump_balances,
    judge,
    load_balances,
    locations_to_read,
    read_balances,
)
from zinv_tui.service.rows import RowKey

log = logging.getLogger(__name__)

MAX_BATCH_SIZE = 100
"""Changes per PUT. Zettle documents no maximum; 100 keeps a request small and quick to repeat."""

MAX_RETRY_AFTER = 900.0
"""The longest ``Retry-After`` honoured as asked; a longer one (``999999``) waits this long."""

LEASE = 1800.0
"""Seconds a sender holds a batch it attempts (a process that ends gives it up at once)."""

BUSY_RETRY = 1.0
"""Seconds before looking again at a batch another process is sending."""

PERMANENT_REFUSALS = (TokenExpired, PermissionDenied, ApiKeyRejected)
"""The key's fault, not the movement's: repeating won't help until the user acts."""

SettleCallback = Callable[[Batch, dict[RowKey, int] | None], Awaitable[None]]
"""Called (under the lock) with the acknowledged batch and the balances to trust (None: re-read)."""


def retry_delay(failures: int, base: float, cap: float, retry_after: float | None = None) -> float:
    """Seconds before the next try after ``failures`` failures in a row: doubling from ``base`` up
    to ``cap`` with 20 % jitter, and never sooner than a ``Retry-After`` (at most
    :data:`MAX_RETRY_AFTER`).

    The one rule for the TUI's sender and a CLI command waiting for its movements."""
    delay = min(cap, base * 2 ** min(max(failures - 1, 0), 30)) * random.uniform(0.8, 1.2)
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
        async with self._lock:
            if not self._journal.batch_is_open(batch.id):
                return None  # settled meanwhile (another process sharing the journal)
            if not self._journal.claim(batch.id, self._id, LEASE, gone=_process_gone):
                log.info("another process is sending batch %s; waiting", batch.id)
                return BUSY_RETRY
            try:
                return await self._attempt(batch)
            finally:
                self._journal.release(batch.id, self._id)

    async def _attempt(self, batch: Batch) -> float | None:
        kinds = locations_to_read(batch.entries)
        in_doubt, kept = self._journal.doubt(batch.id)
        try:
            reference = await read_balances(self._client, batch.entries, kinds)
        except PERMANENT_REFUSALS as error:
            if in_doubt:  # it may have been applied: say so rather than "refused"
                self._unconfirmed(batch, load_balances(kept), None, error)
                return None
            self._refused_for_good(batch, error)
            return None
        except ZettleError as error:
            return self._failed(batch, error, in_doubt=None)
        if in_doubt:
            judgement = judge(batch.entries, load_balances(kept), reference)
            log.info("batch %s was in doubt: %s", batch.id, judgement.verdict.value)
            if judgement.verdict is Verdict.APPLIED:
                await self._settle(batch, _store(reference))
                return None
            if judgement.verdict is Verdict.UNCLEAR:
                self._unconfirmed(batch, load_balances(kept), reference, None)
                return None
        generation = self._poll_generation()
        first_try = self._first_try.setdefault(batch.id, generation)
        earlier_attempts = self._journal.begin_attempt(batch.id, dump_balances(reference))
        trusted_answer = earlier_attempts == 0 and first_try == generation
        try:
            answer = await self._client.move_stock(self._request(batch))
        except (RequestRejected, NotFound) as error:
            self._journal.note_failure(batch.id, str(error), in_doubt=False)
            refused, _singles = self._journal.refuse(batch.id, _refusal(error))
            self._first_try.pop(batch.id, None)
            if refused:
                log.warning("movement refused by Zettle: %s", _refusal(error))
                self._on_refused(refused)
            self._succeeded()
            return None
        except PERMANENT_REFUSALS as error:
            self._refused_for_good(batch, error)
            return None
        except ZettleError as error:
            if error.outcome_unknown and error.status is not None and 200 <= error.status < 300:
                return await self._settle_by_reading(batch, reference, kinds, error)
            return self._failed(batch, error, in_doubt=error.outcome_unknown)
        balances = _answer_balances(answer, self._store_uuid)
        if not all(entry.key in balances for entry in batch.entries):
            # A 2xx without the moved variants' balances (an error body, an empty body, none of
            # them) proves nothing: settle it by reading.
            return await self._settle_by_reading(batch, reference, kinds, None)
        await self._settle(batch, balances if trusted_answer else None)
        return None

    async def _settle_by_reading(
        self,
        batch: Batch,
        reference: Balances,
        kinds: list[LocationType],
        error: ZettleError | None,
    ) -> float | None:
        """Zettle answered, but the answer proves nothing: read at once and settle."""
        log.info("batch %s: the answer proves nothing (%s); reading the stock", batch.id, error)
        try:
            now = await read_balances(self._client, batch.entries, kinds)
        except ZettleError as read_error:
            return self._failed(batch, error or read_error, in_doubt=True)
        judgement = judge(batch.entries, reference, now)
        if judgement.verdict is Verdict.APPLIED:
            await self._settle(batch, _store(now))
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
                    f"({error}) - check the balance in Zettle, then retry it if it is missing or "
                    "dismiss it if it is there"
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

    def _refused_for_good(self, batch: Batch, error: ZettleError) -> None:
        """The key can't send movements (401 after a fresh token, 403, key rejected): every entry
        of the batch needs attention now; nothing is repeated."""
        entries = self._journal.refuse_all(batch.id, _refusal(error))
        self._first_try.pop(batch.id, None)
        log.warning("movements refused by Zettle: %s", _refusal(error))
        if entries:
            self._on_refused(entries)
        self.last_error = str(error)
        self.last_error_unreachable = False
        self._on_state(self.last_error)
        return None

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


def _store(balances: Balances) -> dict[RowKey, int]:
    return dict(balances.get(LocationType.STORE, {}))


def _answer_balances(answer: LocationBalances, store_uuid: str) -> dict[RowKey, int]:
    """The STORE balances a PUT answer reports, by variant."""
    if answer.location_uuid is not None and str(answer.location_uuid) != store_uuid:
        return {}
    return {
        (str(line.product_uuid), str(line.variant_uuid)): line.balance
        for line in answer.variants
        if line.location_uuid is None or str(line.location_uuid) == store_uuid
    }


def _refusal(error: ZettleError) -> str:
    """The client's plain sentence, then Zettle's own words it does not already say (each once)."""
    said = str(error)
    words = [error.developer_message or "", *(v.developer_message or "" for v in error.violations)]
    unsaid = [text for text in dict.fromkeys(" ".join(w.split()) for w in words) if text]
    # A long message may be quoted cut short ("…"): its beginning counts as said.
    unsaid = [text for text in unsaid if text[:80] not in said]
    return f"{said} ({'; '.join(unsaid)})" if unsaid else said
