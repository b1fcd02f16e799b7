"""The one decoder of the Product Library's product list (``GET /organizations/{org}/products/v2``).

A big shop has 20,000 products: the answer (26 MB of JSON at that size) is decoded with msgspec
while it arrives (:class:`CatalogueStream`, so the whole answer is never in memory) straight into
small :class:`~zinv_tui.values.catalogue.CatalogueProduct` structs, equal texts shared. Only what a
stock row shows is kept: names, the variant's label, SKU, barcode, price and cost price.
"""

from __future__ import annotations

from typing import Any, Generic, Protocol, TypeVar

import msgspec

from zinv_tui.api.v1.balances import UuidText
from zinv_tui.values.catalogue import CatalogueProduct, CatalogueVariant, TextPool


class _WireOption(msgspec.Struct, gc=False):
    name: str | None = None
    value: str | None = None


class _WireVariant(msgspec.Struct, gc=False):
    uuid: UuidText
    name: str | None = None
    sku: str | None = None
    barcode: str | None = None
    options: list[_WireOption] | None = None
    price: Any = None
    costPrice: Any = None  # the wire's name; {"amount": 1234, "currencyId": "GBP"} when set


class _WireProduct(msgspec.Struct, gc=False):
    uuid: UuidText
    name: str | None = None
    variants: list[_WireVariant] = []


_raw_list_decoder = msgspec.json.Decoder(list[msgspec.Raw])
_product_decoder = msgspec.json.Decoder(_WireProduct)


MAX_MONEY = 10**12
"""Minor units; a price beyond this is not believed (read as unknown)."""


class CatalogueError(ValueError):
    """The Product Library answer could not be read."""


class ProductSink(Protocol):
    """Takes products a batch at a time, as they are decoded."""

    def take(self, products: list[CatalogueProduct]) -> object: ...


SinkT = TypeVar("SinkT", bound=ProductSink)


class ProductList:
    """A sink that keeps every product it is given (for whole reads)."""

    def __init__(self) -> None:
        self.products: list[CatalogueProduct] = []

    def take(self, products: list[CatalogueProduct]) -> None:
        self.products.extend(products)


def _amount(money: object) -> int | None:
    """A money object's amount in minor units, or None when absent or odd."""
    if type(money) is dict:  # the usual case first: {"amount": 1234, ...}
        whole = money.get("amount")
        if type(whole) is int and -MAX_MONEY <= whole <= MAX_MONEY:
            return whole
    amount = money.get("amount") if isinstance(money, dict) else None
    if isinstance(amount, bool) or not isinstance(amount, int | float):
        return None
    if isinstance(amount, float) and not amount.is_integer():
        return None
    return int(amount) if abs(amount) <= MAX_MONEY else None


def _currency(*moneys: object) -> str:
    first = moneys[0] if moneys else None
    if type(first) is dict:  # the usual case first: the cost price's own code
        code = first.get("currencyId")
        if type(code) is str and 0 < len(code) <= 8:
            return code
    for money in moneys:
        code = money.get("currencyId") if isinstance(money, dict) else None
        if isinstance(code, str) and 0 < len(code) <= 8:
            return code
    return ""


def _lower(uuid: str) -> str:
    """Lower-case without a copy when it already is."""
    return uuid if uuid.islower() else uuid.lower()


def label(name: str | None, options: list[_WireOption] | None) -> str:
    """What to call a variant: its name, else its option values joined (``"M / Red"``)."""
    if name and not name[0].isspace() and not name[-1].isspace():
        return name  # the usual case: a name with nothing to strip
    return (name or "").strip() or " / ".join(
        option.value for option in options or () if option.value
    )


def products_of(pieces: list[msgspec.Raw], text: TextPool) -> list[CatalogueProduct]:
    """Products from raw JSON objects of the list, one decoded at a time."""
    decode_product = _product_decoder.decode
    products = []
    for piece in pieces:
        try:
            product = decode_product(piece)
        except (msgspec.DecodeError, RecursionError) as error:
            raise CatalogueError(f"unreadable product: {error}") from None
        variants = tuple(
            CatalogueVariant(
                _lower(variant.uuid),
                text(label(variant.name, variant.options)),
                text(variant.sku),
                text(variant.barcode),
                _amount(variant.price),
                _amount(variant.costPrice),
                text(_currency(variant.costPrice, variant.price)),
            )
            for variant in product.variants
        )
        products.append(CatalogueProduct(_lower(product.uuid), text(product.name), variants))
    return products


def decode_products(payload: bytes | bytearray) -> list[CatalogueProduct]:
    """Every product of a whole answer; raises :class:`CatalogueError`."""
    try:
        pieces = _raw_list_decoder.decode(payload)
    except (msgspec.DecodeError, RecursionError) as error:  # deeply nested: RecursionError
        raise CatalogueError(f"unreadable product list: {error}") from None
    return products_of(pieces, TextPool())


class CatalogueStream(Generic[SinkT]):
    """Decodes the Product Library answer while it arrives (a client body sink) into ``sink``.

    The whole answer (26 MB of JSON at 20,000 products) never sits in memory: every
    :data:`FLUSH_AT` bytes, the complete products received so far are decoded, handed to the sink
    and their bytes dropped. A cut between two products is found by trying the last ``},{`` in the
    buffer (then earlier ones): the piece before it is decoded as a JSON array, which only succeeds
    when the cut is between two whole products, so a cut inside a product (between its variants)
    is never taken; a bracket count skips most such cuts without parsing. An answer not laid out
    that way (pretty-printed, not an array), or where no cut is found in :data:`GIVE_UP_AT` bytes,
    is decoded whole by :meth:`finish`: at most :data:`TRIES` parses of a buffer below that size
    per :data:`FLUSH_AT` bytes received are ever wasted.
    """

    FLUSH_AT = 256 * 1024
    TRIES = 8
    GIVE_UP_AT = 2 * 1024 * 1024

    def __init__(self, sink: SinkT) -> None:
        self.sink = sink
        self._buffer = bytearray()
        self._text = TextPool()
        self._streaming: bool | None = None  # None until the first byte that isn't space
        self._next_try = self.FLUSH_AT

    def write(self, chunk: bytes) -> None:
        """Take the next piece of the body."""
        buffer = self._buffer
        buffer += chunk
        if self._streaming is None:
            text = buffer.lstrip()
            if not text:
                return
            self._streaming = text[:1] == b"["
            del buffer[: len(buffer) - len(text)]
        if self._streaming and len(buffer) >= self._next_try:
            if not self._decode_complete_products() and len(buffer) >= self.GIVE_UP_AT:
                self._streaming = False  # no cut found: decode it whole at the end
            self._next_try = len(buffer) + self.FLUSH_AT

    def _decode_complete_products(self) -> bool:
        """Decode and drop the whole products at the front of the buffer; False if none."""
        buffer = self._buffer
        # Bracket balance of buffer[:end], kept while walking back from cut to cut: a cut between
        # whole products has every "{" and every "[" but the first closed. Brackets inside names
        # can fool this count either way: the decode below is the real test, and a count that is
        # never right only means no cut is taken (the answer is then decoded whole at the end).
        end = len(buffer)
        braces = buffer.count(b"{") - buffer.count(b"}")
        squares = buffer.count(b"[") - buffer.count(b"]")
        tries = 0
        while tries < self.TRIES:
            cut = buffer.rfind(b"},{", 0, end)
            if cut < 0:
                return False
            braces -= buffer.count(b"{", cut + 1, end) - buffer.count(b"}", cut + 1, end)
            squares -= buffer.count(b"[", cut + 1, end) - buffer.count(b"]", cut + 1, end)
            end = cut + 1
            if braces != 0 or squares != 1:
                end = cut  # inside a product (between its variants): look further back
                braces += 1  # the "}" at cut is no longer in buffer[:end]
                continue
            tries += 1
            try:
                pieces = _raw_list_decoder.decode(buffer[: cut + 1] + b"]")
            except (msgspec.DecodeError, RecursionError):
                end = cut
                braces += 1
                continue
            self.sink.take(products_of(pieces, self._text))
            del pieces
            del buffer[1 : cut + 2]  # keep the opening "[", drop the products and the comma
            return True
        return False

    def finish(self) -> SinkT:
        """Decode what is left once the whole body was written; the sink. Raises
        :class:`CatalogueError`."""
        try:
            pieces = _raw_list_decoder.decode(self._buffer)
        except (msgspec.DecodeError, RecursionError) as error:
            raise CatalogueError(f"unreadable product list: {error}") from None
        self._buffer = bytearray()
        self.sink.take(products_of(pieces, self._text))
        return self.sink
