"""Base of the reorder screens: typed access to the app, its service and the reorder desk."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import App

from zinv_tui.service import ReorderDesk, RowKey
from zinv_tui.ui.screens.service_screen import ServiceScreen, zinv_app

if TYPE_CHECKING:
    from zinv_tui.ui.app import ZinvApp


class DeskScreen(ServiceScreen[None]):
    """A screen on the profile's :class:`ReorderDesk` (sales, settings, orders, receiving)."""

    @property
    def zinv(self) -> ZinvApp:
        return self.zinv_app

    @property
    def desk(self) -> ReorderDesk:
        """The desk (opened on first use; :class:`ReorderDbError` when its file is damaged)."""
        return self.service.reorder

    def show_item(self, key: RowKey | None) -> None:
        """Open the item detail of ``key`` (nothing when there is no row under the cursor)."""
        open_item_detail(self.zinv, key)


def open_item_detail(app: App[None], key: RowKey | None) -> None:
    """The item detail of ``key`` over the current screen (a detail already open is replaced)."""
    if key is None:
        return
    zinv = zinv_app(app)
    if key not in zinv.service.rows:
        zinv.notify("That item is no longer tracked", severity="warning")
        return
    zinv.open_screen("item_detail", item=key)
