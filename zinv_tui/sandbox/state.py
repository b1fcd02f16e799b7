"""What every handler of one sandbox shares: the organization, its inventory, tokens, faults and
the thread that works on its database."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from zinv_tui.sandbox.catalogue import ProductCatalogue
from zinv_tui.sandbox.faults import FaultController
from zinv_tui.sandbox.inventory import Inventory
from zinv_tui.sandbox.paging import CursorBook
from zinv_tui.sandbox.purchases import PurchaseBook
from zinv_tui.sandbox.store_thread import StoreThread
from zinv_tui.sandbox.tokens import ApiKey, TokenRegistry


@dataclass
class SandboxState:
    """The live state of one sandbox (one organization)."""

    organization_uuid: str
    api_key: ApiKey
    inventory: Inventory
    tokens: TokenRegistry
    catalogue: ProductCatalogue
    faults: FaultController
    db: StoreThread
    sales_per_minute: float = 0.0
    sales_rng: random.Random = field(default_factory=random.Random)
    key_secret: bytes = b""
    extra_keys: list[ApiKey] = field(default_factory=list)
    url: str = ""
    purchases: PurchaseBook | None = None
    """The Purchase API's receipts (``sandbox/purchases.py``)."""
    api: str = "both"
    """Which inventory API generations answer: ``v1``, ``v3`` or ``both``."""
    cursors: CursorBook = field(default_factory=CursorBook)
    """v3's page cursors (``sandbox/paging.py``)."""
