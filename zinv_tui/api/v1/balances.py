"""The one decoder of Zettle v1's balance answers ("location status": ``GET
/organizations/self/inventory[?since=N]``, the per-location and per-product reads, and the
answers of a movement, start tracking and bulk).

At 50,000 variants a pydantic model per row costs several times a bare ``json.loads``; msgspec
decodes straight into small structs, reading only the fields needed, which is about three times
cheaper than ``json.loads`` itself. Balances arrive as ``"42"``, ``42`` or ``"9.0"`` and leave as
``int`` (msgspec's lax mode reads numeric strings; anything odder goes through
:func:`~zinv_tui.values.numbers.parse_whole_number`).

A full snapshot (9 MB of JSON at 50,000 variants) is decoded while it arrives
(:class:`SnapshotStream`): its lines go to a sink a few hundred at a time, so neither the whole
body nor the whole decoded answer is ever in memory. Other answers are small and are decoded whole
(:func:`decode_balances`).

UUIDs are passed on as the server wrote them (the service lower-cases the rare ones that are not).
"""

from __future__ import annotations

import re
from typing import Annotated, Generic, Protocol, TypeVar

import msgspec

from zinv_tui.values.numbers import LARGEST_WHOLE_NUMBER, parse_whole_number

Balance = Annotated[int, msgspec.Meta(ge=-LARGEST_WHOLE_NUMBER - 1, le=LARGEST_WHOLE_NUMBER)]
"""A balance as msgspec reads it: a whole number that fits in 64 bits (anything else goes
through :func:`~zinv_tui.values.numbers.parse_whole_number`, or is refused)."""

UuidText = Annotated[str, msgspec.Meta(min_length=36, max_length=36)]
"""A UUID as text: 36 characters. Its digits are not checked (a pattern would triple the cost of
a 50,000-line snapshot); the length refuses what is plainly not a UUID (empty, a number, cut)."""


class BalanceLine(msgspec.Struct, rename="camel", gc=False):
    """One variant's balance (the location is the answer's)."""

    product_uuid: UuidText
    variant_uuid: UuidText
    balance: Balance


class StoreBalances(msgspec.Struct, rename="camel", gc=False):
    """A balance answer: balances, tracked products, the sandbox's untracked list, the cursor.

    ``untracked_products`` is a sandbox extension of the incremental feed (products whose tracking
    stopped since the cursor); real Zettle never sends it and nothing may rely on it.
    """

    variants: list[BalanceLine] = []
    tracked_products: list[UuidText] = []
    untracked_products: list[UuidText] = []
    latest: int | str | None = None
    location_uuid: UuidText | None = None


class PlacedLine(msgspec.Struct, rename="camel", gc=False):
    """One variant's balance in a small answer, with the location when the line names it."""

    product_uuid: UuidText
    variant_uuid: UuidText
    balance: Balance
    location_uuid: UuidText | None = None
    location_type: str | None = None


class LocationBalances(msgspec.Struct, rename="camel", gc=False):
    """A small balance answer (one location's, some products', a write's): every line kept."""

    variants: list[PlacedLine] = []
    tracked_products: list[UuidText] = []
    latest: int | str | None = None
    location_uuid: UuidText | None = None


class _OddLine(msgspec.Struct, rename="camel", gc=False):
    product_uuid: UuidText
    variant_uuid: UuidText
    balance: Balance | float | str
    location_uuid: UuidText | None = None
    location_type: str | None = None


class _OddAnswer(msgspec.Struct, rename="camel", gc=False):
    variants: list[_OddLine] = []
    tracked_products: list[UuidText] = []
    untracked_products: list[UuidText] = []
    latest: int | str | None = None
    location_uuid: UuidText | None = None


class BalanceFeedError(ValueError):
    """The balance answer could not be read (bad JSON or wrong shape)."""


_decoder = msgspec.json.Decoder(StoreBalances, strict=False)
_placed_decoder = msgspec.json.Decoder(LocationBalances, strict=False)
_odd_decoder = msgspec.json.Decoder(_OddAnswer, strict=False)
_lines_decoder = msgspec.json.Decoder(list[BalanceLine], strict=False)
_odd_lines_decoder = msgspec.json.Decoder(list[_OddLine], strict=False)
_raw_list_decoder = msgspec.json.Decoder(list[msgspec.Raw])
_object_decoder = msgspec.json.Decoder(dict[str, msgspec.Raw])


def _unreadable(error: Exception) -> BalanceFeedError:
    if isinstance(error, msgspec.DecodeError) and not isinstance(error, msgspec.ValidationError):
        return BalanceFeedError(f"unreadable balance answer: not valid JSON ({error})")
    return BalanceFeedError(f"unreadable balance answer: {error}")


def _whole(value: object, index: int) -> int:
    try:
        return parse_whole_number(value)
    except ValueError as error:
        raise BalanceFeedError(
            f"unreadable balance answer: {error} - at `$.variants[{index}].balance`"
        ) from None


def _whole_lines(odd: list[_OddLine]) -> list[BalanceLine]:
    return [
        BalanceLine(line.product_uuid, line.variant_uuid, _whole(line.balance, index))
        for index, line in enumerate(odd)
    ]


def _odd(payload: bytes | bytearray) -> _OddAnswer:
    try:
        odd = _odd_decoder.decode(payload)
    except (msgspec.DecodeError, RecursionError) as error:
        raise _unreadable(error) from None
    for index, line in enumerate(odd.variants):
        line.balance = _whole(line.balance, index)
    return odd


def decode_balances(payload: bytes | bytearray) -> StoreBalances:
    """Decode a STORE balance answer, or raise :class:`BalanceFeedError` saying what is wrong."""
    try:
        return _decoder.decode(payload)
    except msgspec.ValidationError:
        pass
    except (msgspec.DecodeError, RecursionError) as error:  # deeply nested: RecursionError
        raise _unreadable(error) from None
    odd = _odd(payload)
    return StoreBalances(
        [
            BalanceLine(line.product_uuid, line.variant_uuid, int(line.balance))
            for line in odd.variants
        ],
        odd.tracked_products,
        odd.untracked_products,
        odd.latest,
        odd.location_uuid,
    )


def decode_location_balances(payload: bytes | bytearray) -> LocationBalances:
    """Decode a small balance answer (every line with its location, when named)."""
    try:
        return _placed_decoder.decode(payload)
    except msgspec.ValidationError:
        pass
    except (msgspec.DecodeError, RecursionError) as error:
        raise _unreadable(error) from None
    odd = _odd(payload)
    lines = [
        PlacedLine(
            line.product_uuid,
            line.variant_uuid,
            int(line.balance),
            line.location_uuid,
            line.location_type,
        )
        for line in odd.variants
    ]
    return LocationBalances(lines, odd.tracked_products, odd.latest, odd.location_uuid)


class LineSink(Protocol):
    """Takes a snapshot's balance lines, a batch at a time, in the answer's order."""

    def take(self, lines: list[BalanceLine]) -> object: ...


SinkT = TypeVar("SinkT", bound=LineSink)


_VARIANTS_KEY = re.compile(rb'"variants"\s*:\s*\[')
_SPACE = frozenset(b" \t\r\n")
_COMMA, _OPEN, _CLOSE, _END = b",{}]"


class SnapshotStream(Generic[SinkT]):
    """Decodes a full balance snapshot while it arrives (a client body sink, one per attempt).

    The text before the ``"variants"`` array (the tracked products) stays in the buffer as it
    came; the array itself is cut between whole variant objects every :data:`FLUSH_AT` bytes and
    the lines before the cut are decoded and handed to ``lines_to`` at once, their bytes dropped.
    A cut is a ``,`` between a ``}`` and a ``{`` (spaces allowed around it), and it is only taken
    when the text before it, closed with ``]``, decodes as a JSON array: that proves the cut lies
    between two elements of the ``variants`` array itself, never inside a string or a nested
    value. The head is proved the same way: it must close into a JSON object with ``]}``, so the
    ``[`` is the top-level ``variants`` array. Whatever is left (the head, the last lines and the
    text after the array) is decoded by :meth:`finish`, as :func:`decode_balances` would decode
    a whole body; so is a body laid out any other way (no ``variants`` key found, no cut found
    within :data:`GIVE_UP_AT` bytes), which then costs the memory of a whole-body decode.

    Nothing is raised while the body arrives (the client then reads it to the end, so the bytes
    on the wire are counted and the connection stays usable): a malformed body stops the work and
    :meth:`finish` raises :class:`BalanceFeedError`.
    """

    FLUSH_AT = 128 * 1024
    TRIES = 4
    STEPS = 256
    GIVE_UP_AT = 4 * 1024 * 1024

    def __init__(self, lines_to: SinkT, *, flush_at: int = FLUSH_AT) -> None:
        self.lines_to = lines_to
        self._flush_at = flush_at
        self._buffer = bytearray()
        self._open = -1  # where the variants array's "[" is in the buffer, once found and proved
        self._searched = 0  # how far the search for the variants key has looked
        self._whole = False  # True once the rest is left for finish() to decode whole
        self._next_try = flush_at
        self._error: BalanceFeedError | None = None
        self.lines = 0
        """Lines handed over while the body arrived (the rest go in :meth:`finish`)."""

    def write(self, chunk: bytes) -> None:
        """Take the next piece of the body."""
        if self._error is not None:
            return
        buffer = self._buffer
        buffer += chunk
        if self._whole or len(buffer) < self._next_try:
            return
        if self._open < 0 and not self._find_variants():
            if len(buffer) >= self.GIVE_UP_AT:
                self._whole = True
            self._next_try = len(buffer) + self._flush_at
            return
        try:
            found = self._take_complete_lines()
        except BalanceFeedError as error:
            self._error = error
            self._buffer = bytearray()
            return
        if not found and len(self._buffer) >= self.GIVE_UP_AT:
            self._whole = True  # no cut in sight: the rest is decoded whole at the end
        self._next_try = len(self._buffer) + self._flush_at

    def _find_variants(self) -> bool:
        """Find the variants array's ``[`` and prove it is the top-level one; False if not (yet)."""
        buffer = self._buffer
        match = _VARIANTS_KEY.search(buffer, max(0, self._searched - 16))
        self._searched = len(buffer)
        if match is None:
            return False
        start = match.end()
        after = bytes(buffer[start : start + 2])
        buffer[start : start + 2] = b"]}"  # the head closed: decoded in place, no copy
        try:
            with memoryview(buffer) as view, view[: start + 2] as head:
                _object_decoder.decode(head)
        except (msgspec.DecodeError, RecursionError):
            self._whole = True  # the key is not where this decoder expects it: decode whole
            return False
        finally:
            buffer[start : start + 2] = after
        self._open = start - 1
        return True

    def _take_complete_lines(self) -> bool:
        """Decode and hand over the whole lines at the front of the buffer; False if none."""
        buffer = self._buffer
        start = self._open
        end = len(buffer)
        tries = steps = 0
        while tries < self.TRIES and steps < self.STEPS:
            steps += 1
            brace = buffer.rfind(b"{", start + 1, end)
            if brace < 0:
                return False
            end = brace
            cut = brace - 1
            while buffer[cut] in _SPACE:
                cut -= 1
            if buffer[cut] != _COMMA:
                continue
            before = cut - 1
            while buffer[before] in _SPACE:
                before -= 1
            if buffer[before] != _CLOSE:
                continue
            tries += 1
            lines = self._decode_lines(cut)
            if lines is None:
                continue
            self.lines += len(lines)
            self.lines_to.take(lines)
            del lines
            del buffer[start + 1 : cut + 1]  # keep the head and "[", drop the lines and comma
            return True
        return False

    def _decode_lines(self, cut: int) -> list[BalanceLine] | None:
        """The lines between the array's "[" and ``cut``, or None when the cut is not between
        two of them."""
        buffer = self._buffer
        start = self._open
        buffer[cut] = _END  # "[" + lines + "]": decoded in place, no copy
        try:
            with memoryview(buffer) as view, view[start : cut + 1] as piece:
                return _lines_decoder.decode(piece)
        except (msgspec.DecodeError, RecursionError) as error:
            if not isinstance(error, msgspec.ValidationError):
                return None  # not a whole array: the cut is inside a line
            piece_bytes = bytes(buffer[start : cut + 1])
        finally:
            buffer[cut] = _COMMA
        # Well-formed lines of an unusual type ("9.0", " 9 ", 9.0), or not a JSON array at all.
        try:
            _raw_list_decoder.decode(piece_bytes)
        except (msgspec.DecodeError, RecursionError):
            return None
        try:
            return _whole_lines(_odd_lines_decoder.decode(piece_bytes))
        except msgspec.DecodeError as error:
            raise _unreadable(error) from None

    def finish(self) -> StoreBalances:
        """Decode what is left once the body has ended and hand its lines over; the answer
        returned carries the tracked products and the cursor (its own ``variants`` are empty).
        Raises :class:`BalanceFeedError` when the body could not be read."""
        if self._error is not None:
            raise self._error
        rest = self._buffer
        self._buffer = bytearray()
        answer = decode_balances(rest)
        del rest
        if answer.variants:
            self.lines += len(answer.variants)
            self.lines_to.take(answer.variants)
            answer.variants = []
        return answer
