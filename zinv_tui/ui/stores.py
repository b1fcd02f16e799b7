"""Words for the shop's stores (Zettle v3 may keep several STORE inventories; v1 one)."""

from __future__ import annotations

from zinv_tui.service.backend import Place
from zinv_tui.service.wording import store_label

NO_SEVERAL_STORES = (
    "This shop has one store: only Zettle's current API (v3) has several, and this shop is "
    "served by its older API (v1)."
)
ONE_STORE = "This shop has one store: make another on Locations (l, then n)."


def store_choice(store: Place) -> str:
    """A store in a list to choose from: its name, ``(default)`` for the default one."""
    label = store_label(store)
    return f"{label} (default)" if store.default else label
