"""A tight decoder of the STORE balance answer (``GET /organizations/self/inventory[?since=N]``).

At 50,000 variants a pydantic model per row costs several times a bare ``json.loads``; msgspec
decodes straight into small structs, reading only the fields the view needs, which is about three
times cheaper than ``json.loads`` itself. Balances arrive as ``"42"``, ``42`` or ``"9.0"`` and leave
as ``int`` (msgspec's lax mode reads numeric strings; anything odder goes through
:func:`~zinv_tui.api.models.parse_whole_number`).

UUIDs are passed on as the server wrote them; the view lower-cases the rare ones it does not find.
"""

from __future__ import annotations

from collections.abc import Iterator

import msgspec

from zinv_tui.api.models import parse_whole_number


class BalanceLine(msgspec.Struct, rename="camel", gc=False):
    """One variant's STORE balance."""

    product_uuid: str
    variant_uuid: str
    balance: int


class BalanceAnswer(msgspec.Struct, rename="camel", gc=False):
    """The answer: balances, tracked products, the sandbox's untracked list, and the cursor."""

    variants: list[BalanceLine] = []
    tracked_products: list[str] = []
    untracked_products: list[str] = []
    latest: int | str | None = None


class _OddLine(msgspec.Struct, rename="camel", gc=False):
    product_uuid: str
    variant_uuid: str
    balance: int | float | str


class _OddAnswer(msgspec.Struct, rename="camel", gc=False):
    variants: list[_OddLine] = []
    tracked_products: list[str] = []
    untracked_products: list[str] = []
    latest: int | str | None = None


class LeanLine(msgspec.Struct, rename="camel", gc=False):
    """A balance line without its product UUID (variant UUIDs are unique): the fast path."""

    variant_uuid: str
    balance: int


class BalanceFeedError(ValueError):
    """The balance answer could not be read (bad JSON or wrong shape)."""


class LeanLineUnfit(BalanceFeedError):
    """A line the lean decoder can't take (e.g. a balance sent as ``" 9 "``): decode carefully."""


_lean_line_decoder = msgspec.json.Decoder(LeanLine, strict=False)


class LeanAnswer(msgspec.Struct, rename="camel", gc=False):
    """A full snapshot decoded lean: each line is kept as its raw JSON (a view into the answer)
    and decoded only while :meth:`lines` walks it, so at most one line's strings exist at once.

    A 50,000-line snapshot then needs 2.6 MB of small objects on top of its body instead of 6.3 MB
    (a struct and a UUID string per line, all alive together). The price is one decoder call per
    line: the benchmark's full refresh at 50k variants costs ~94 ms of CPU instead of ~80 ms
    (1.32x instead of 1.10x a bare ``json.loads``, target 1.5x) for a 1-3 MB lower peak.
    """

    variants: list[msgspec.Raw] = []
    tracked_products: list[str] = []
    latest: int | str | None = None

    def lines(self) -> Iterator[LeanLine]:
        """The balance lines, decoded one at a time; raises :class:`LeanLineUnfit` at a line that
        needs the careful decoder."""
        decode = _lean_line_decoder.decode
        for raw in self.variants:
            try:
                yield decode(raw)
            except (msgspec.ValidationError, msgspec.DecodeError) as error:
                raise LeanLineUnfit(f"balance line needs the careful decoder: {error}") from None


_decoder = msgspec.json.Decoder(BalanceAnswer, strict=False)
_lean_decoder = msgspec.json.Decoder(LeanAnswer, strict=False)
_odd_decoder = msgspec.json.Decoder(_OddAnswer, strict=False)


def decode_balances(payload: bytes) -> BalanceAnswer:
    """Decode a balance answer, or raise :class:`BalanceFeedError` saying what is wrong."""
    try:
        return _decoder.decode(payload)
    except msgspec.ValidationError:
        pass
    except msgspec.DecodeError as error:
        raise BalanceFeedError(f"unreadable balance answer: {error}") from None
    try:
        odd = _odd_decoder.decode(payload)
        lines = [
            BalanceLine(line.product_uuid, line.variant_uuid, parse_whole_number(line.balance))
            for line in odd.variants
        ]
    except (msgspec.DecodeError, ValueError) as error:
        raise BalanceFeedError(f"unreadable balance answer: {error}") from None
    return BalanceAnswer(lines, odd.tracked_products, odd.untracked_products, odd.latest)


def decode_lean(payload: bytes) -> LeanAnswer | None:
    """The snapshot without product UUIDs, or None when it needs the careful decoder.

    The answer keeps views into ``payload``; its lines are decoded by :meth:`LeanAnswer.lines`.
    """
    try:
        return _lean_decoder.decode(payload)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None
