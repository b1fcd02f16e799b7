"""Base of the screens on one stock count: the count book, the session, reloads that coalesce."""

from __future__ import annotations

from zinv_tui.service import CountBook, CountSession
from zinv_tui.ui.screens.service_screen import ServiceScreen


class SessionScreen(ServiceScreen[None]):
    """A screen showing count ``session_id``; subclasses draw it in :meth:`reload`."""

    def __init__(self, session_id: int) -> None:
        super().__init__()
        self.session_id = session_id
        self._session: CountSession | None = None
        self._reload_pending = False

    @property
    def book(self) -> CountBook:
        """The profile's stock counts."""
        return self.service.counts

    @property
    def session(self) -> CountSession:
        """The count (as read at the last reload: the title and keys read it often)."""
        if self._session is None:
            self._session = self.book.session(self.session_id)
        return self._session

    def reload(self) -> None:
        """Read the count again and show it."""
        raise NotImplementedError

    def reload_soon(self, delay: float) -> None:
        """Reload in ``delay`` seconds: a burst of stock changes costs one reload."""
        if not self._reload_pending:
            self._reload_pending = True
            self.set_timer(delay, self._delayed_reload)

    def _delayed_reload(self) -> None:
        self._reload_pending = False
        if self.is_attached:
            self.reload()
