"""Deterministic demo data: a believable café and gift shop.

:func:`generate_shop` turns ``(products, seed)`` into a :class:`DemoShop`: the merchant's identity
(organization, user, client id, API-key secret), the four system locations and a product catalogue
with variants (options Size and/or Colour), SKUs, EAN-13 barcodes, opening balances, low-stock
levels and tracking flags. The same seed always gives the same shop; the identity does not depend on
the number of products. It is pure data: :mod:`zinv_tui.sandbox.store` loads it into SQLite.
"""

from __future__ import annotations

import functools
import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, datetime

from zinv_tui.sandbox.ids import ean13, uuid_v1

MARKUP_PRODUCT_NAME = "Crunchy Nut [/] Butter Cookies [b]"
"""A product name that looks like Rich/Textual markup, to catch UIs that render names as markup."""
MARKUP_PRODUCT_INDEX = 7

_LOCATION_TYPES = ("STORE", "SUPPLIER", "BIN", "SOLD")
_EPOCH_2017 = datetime(2017, 1, 26, 9, 0, tzinfo=UTC).timestamp()
_EPOCH_2025 = datetime(2025, 1, 6, 8, 30, tzinfo=UTC).timestamp()


@dataclass(frozen=True, slots=True)
class DemoVariant:
    """One variant of a demo product."""

    uuid: str
    product_uuid: str
    name: str
    sku: str
    barcode: str | None
    options: tuple[tuple[str, str], ...]
    price: int
    opening_balance: int
    low_stock_level: int | None
    low_stock_alert: bool


@dataclass(frozen=True, slots=True)
class DemoProduct:
    """A demo product of the Product Library."""

    uuid: str
    name: str
    category: str
    description: str
    unit_name: str | None
    vat_percentage: float
    created: str
    tracked: bool
    variants: tuple[DemoVariant, ...]


@dataclass(frozen=True, slots=True)
class DemoLocation:
    """A system location (STORE, SUPPLIER, BIN, SOLD)."""

    uuid: str
    type: str
    name: str
    description: str
    default: bool


@dataclass(frozen=True, slots=True)
class DemoShop:
    """Everything the sandbox needs to start: identity, locations and catalogue."""

    seed: int
    organization_uuid: str
    user_uuid: str
    client_id: str
    key_secret: bytes
    key_issued_at: int
    locations: tuple[DemoLocation, ...]
    products: tuple[DemoProduct, ...]


@dataclass(frozen=True)
class _Category:
    code: str
    name: str
    bases: tuple[str, ...]
    modifiers: tuple[str, ...]
    pattern: str  # "{modifier}" and "{base}" placeholders
    sizes: tuple[str, ...]
    colours: tuple[str, ...]
    weight: int
    price_range: tuple[int, int]
    unit_name: str | None = None


_COLOURS = ("Sage", "Terracotta", "Midnight Blue", "Oat", "Charcoal", "Mustard", "Blush", "Forest")
_CATEGORIES = (
    _Category(
        "COF",
        "Coffee",
        ("Whole Bean", "Espresso Roast", "Filter Roast", "Decaf", "Single Origin"),
        (
            "Ethiopia Yirgacheffe",
            "Colombia Huila",
            "Guatemala Antigua",
            "Brazil Cerrado",
            "Kenya Nyeri",
            "Sumatra Mandheling",
            "Costa Rica Tarrazú",
            "Rwanda Nyamasheke",
            "Peru Cajamarca",
            "Honduras Marcala",
            "Harbour House",
            "Lighthouse Morning",
        ),
        "{modifier} {base}",
        ("250 g", "500 g", "1 kg"),
        (),
        15,
        (650, 3200),
    ),
    _Category(
        "TEA",
        "Tea",
        ("Loose Leaf Tea", "Tea Bags (20)", "Tea Tin"),
        (
            "Earl Grey",
            "English Breakfast",
            "Jasmine Pearl",
            "Sencha",
            "Rooibos Vanilla",
            "Peppermint",
            "Chai Masala",
            "Darjeeling",
            "Lapsang Souchong",
            "Chamomile",
        ),
        "{modifier} {base}",
        ("50 g", "100 g", "250 g"),
        (),
        10,
        (400, 1800),
    ),
    _Category(
        "MUG",
        "Mugs & Cups",
        ("Mug", "Espresso Cup", "Travel Cup", "Latte Bowl"),
        (
            "Speckled Stoneware",
            "Hand-thrown",
            "Enamel Camp",
            "Harbour Stripe",
            "Glazed",
            "Double-walled",
            "Reusable Bamboo",
            "Seagull",
            "Tide",
            "Rustic",
        ),
        "{modifier} {base}",
        (),
        _COLOURS,
        12,
        (900, 2800),
    ),
    _Category(
        "APP",
        "Apparel",
        ("T-Shirt", "Hoodie", "Apron", "Beanie", "Sweatshirt"),
        (
            "Coffee Club",
            "Harbour Café",
            "Organic Cotton",
            "Barista",
            "Sunday Roast",
            "Lighthouse",
            "Wave",
            "Bean There",
        ),
        "{modifier} {base}",
        ("S", "M", "L", "XL"),
        _COLOURS,
        10,
        (1500, 5500),
    ),
    _Category(
        "BAK",
        "Bakery",
        ("Croissant", "Cinnamon Bun", "Sourdough Loaf", "Brownie", "Scone", "Banana Bread"),
        ("Almond", "Classic", "Cardamom", "Chocolate", "Blueberry", "Salted Caramel", "Oat"),
        "{modifier} {base}",
        (),
        (),
        12,
        (250, 650),
        "pcs",
    ),
    _Category(
        "CHO",
        "Confectionery",
        ("Chocolate Bar", "Fudge", "Truffles (6)", "Brittle", "Honeycomb"),
        (
            "Sea Salt Caramel",
            "Dark 70%",
            "Milk Hazelnut",
            "Raspberry",
            "Orange Zest",
            "Mint",
            "Ginger",
            "Coconut",
        ),
        "{modifier} {base}",
        (),
        (),
        10,
        (250, 1200),
    ),
    _Category(
        "CAN",
        "Candles & Home",
        ("Soy Candle", "Reed Diffuser", "Wax Melt"),
        ("Fig & Cedar", "Sea Breeze", "Roasted Coffee", "Lavender", "Amber", "Black Pepper"),
        "{base} - {modifier}",
        ("Small", "Medium", "Large"),
        (),
        8,
        (800, 3400),
    ),
    _Category(
        "STA",
        "Stationery",
        ("Notebook A5", "Notebook A6", "Pencil Set", "Recipe Journal"),
        ("Linen", "Kraft", "Dotted", "Lined", "Recycled", "Watercolour"),
        "{modifier} {base}",
        (),
        _COLOURS,
        8,
        (300, 1900),
    ),
    _Category(
        "CRD",
        "Cards & Wrap",
        ("Greeting Card", "Gift Wrap", "Gift Tag Set", "Postcard"),
        ("Birthday", "Thank You", "Coastal", "Botanical", "Congratulations", "Seasonal"),
        "{modifier} {base}",
        (),
        (),
        8,
        (150, 450),
    ),
    _Category(
        "GIF",
        "Gifts",
        ("Gift Box", "Hamper", "Gift Card Holder", "Brewing Kit"),
        ("Coffee Lover's", "Tea Time", "Chocolate", "Pour-over", "Cold Brew", "Breakfast"),
        "{modifier} {base}",
        (),
        (),
        7,
        (1500, 6500),
    ),
)
_CATEGORY_WEIGHTS = [category.weight for category in _CATEGORIES]


@functools.cache
def _option_code(value: str) -> str:
    return "".join(ch for ch in value.upper() if ch.isalnum())[:4]


def _iso(unix_seconds: float) -> str:
    return datetime.fromtimestamp(unix_seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _identity(seed: int) -> tuple[str, str, str, bytes, int, tuple[DemoLocation, ...]]:
    rng = random.Random(f"zinv-sandbox-identity-{seed}")
    organization = str(uuid_v1(rng, _EPOCH_2017))
    user = str(uuid_v1(rng, _EPOCH_2017 + 60))
    client_id = str(uuid_v1(rng, _EPOCH_2017 + 120))
    secret = hashlib.sha256(f"zinv-sandbox-key-{seed}".encode()).digest()
    issued_at = int(_EPOCH_2025) + rng.randrange(86_400)
    locations = tuple(
        DemoLocation(
            uuid=str(uuid_v1(rng, _EPOCH_2017 + 300 + index)),
            type=kind,
            name=kind,
            description="System generated location",
            default=kind == "STORE",
        )
        for index, kind in enumerate(_LOCATION_TYPES)
    )
    return organization, user, client_id, secret, issued_at, locations


def _opening_balance(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.08:
        return 0
    if roll < 0.20:
        return rng.randint(1, 3)
    if roll < 0.85:
        return rng.randint(4, 40)
    return rng.randint(41, 240)


def _option_sets(category: _Category, rng: random.Random) -> list[tuple[tuple[str, str], ...]]:
    sizes = sorted(
        rng.sample(category.sizes, rng.randint(min(2, len(category.sizes)), len(category.sizes))),
        key=category.sizes.index,
    )
    if category.sizes and category.colours:
        colours = rng.sample(category.colours, rng.randint(2, 3))
        return [(("Size", size), ("Colour", colour)) for size in sizes for colour in colours]
    if category.sizes:
        return [(("Size", size),) for size in sizes]
    if category.colours:
        return [(("Colour", colour),) for colour in rng.sample(category.colours, rng.randint(2, 4))]
    return [()]


def generate_shop(products: int = 300, seed: int = 1) -> DemoShop:
    """Build the demo shop for ``(products, seed)``; about 2.6 variants per product on average."""
    if products < 0:
        raise ValueError("products must be zero or more")
    organization, user, client_id, secret, issued_at, locations = _identity(seed)
    rng = random.Random(f"zinv-sandbox-catalogue-{seed}")
    barcode_base = rng.randrange(10**9)
    used_names: dict[str, int] = {}
    catalogue: list[DemoProduct] = []
    serial = 0
    for index in range(products):
        category = rng.choices(_CATEGORIES, weights=_CATEGORY_WEIGHTS)[0]
        if index == MARKUP_PRODUCT_INDEX:
            category = _CATEGORIES[5]
            base_name = MARKUP_PRODUCT_NAME
        else:
            base_name = category.pattern.format(
                modifier=rng.choice(category.modifiers), base=rng.choice(category.bases)
            )
        seen = used_names.get(base_name, 0)
        used_names[base_name] = seen + 1
        name = base_name if seen == 0 else f"{base_name} No. {seen + 1}"
        created = _EPOCH_2025 + index * 97
        product_uuid = str(uuid_v1(rng, created))
        tracked = index == MARKUP_PRODUCT_INDEX or rng.random() >= 0.1
        low, high = category.price_range
        price = rng.randrange(low, high, 5) if high > low else low
        sku_stem = f"{category.code}-{index + 1:05d}"
        variants = []
        for options in _option_sets(category, rng):
            serial += 1
            has_barcode = rng.random() >= 0.04
            level: int | None = None
            alert = False
            if tracked:
                balance = _opening_balance(rng)
                roll = rng.random()
                if roll < 0.22:
                    level = rng.randint(3, 10)
                    alert = rng.random() < 0.6
                elif roll < 0.25:
                    alert = True
            else:
                balance = 0
            variants.append(
                DemoVariant(
                    uuid=str(uuid_v1(rng, created + serial % 97)),
                    product_uuid=product_uuid,
                    name="",
                    sku="-".join([sku_stem, *(_option_code(value) for _, value in options)]),
                    barcode=(
                        ean13(f"2{(barcode_base + serial) % 10**11:011d}") if has_barcode else None
                    ),
                    options=options,
                    price=price + (150 if ("Size", "XL") in options else 0),
                    opening_balance=balance,
                    low_stock_level=level,
                    low_stock_alert=alert,
                )
            )
        catalogue.append(
            DemoProduct(
                uuid=product_uuid,
                name=name,
                category=category.name,
                description=f"{category.name} from the Harbour Café shop",
                unit_name=category.unit_name,
                vat_percentage=12.0 if category.code in {"COF", "TEA", "BAK", "CHO"} else 25.0,
                created=_iso(created),
                tracked=tracked,
                variants=tuple(variants),
            )
        )
    return DemoShop(
        seed=seed,
        organization_uuid=organization,
        user_uuid=user,
        client_id=client_id,
        key_secret=secret,
        key_issued_at=issued_at,
        locations=locations,
        products=tuple(catalogue),
    )
