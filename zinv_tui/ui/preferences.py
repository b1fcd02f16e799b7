"""What the app remembers between launches: the theme, the balances' sort order and store.

Kept in ``ui-preferences.json`` in the profile's state directory, written atomically (a temporary
file in the same folder, then a rename). A missing, unreadable or malformed file, or a value of the
wrong kind, counts as "nothing remembered": the defaults apply and the next change rewrites it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

PREFERENCES_FILE = "ui-preferences.json"


@dataclass(frozen=True, slots=True)
class UiPreferences:
    """The remembered choices; ``None`` means "not chosen yet" (the app's default applies)."""

    theme: str | None = None
    sort_column: str | None = None
    sort_reverse: bool = False
    store: str | None = None
    """The UUID of the store whose balances were shown last (Zettle v3 may have several)."""

    @classmethod
    def from_json(cls, data: Any) -> UiPreferences:
        """The preferences in ``data``, ignoring anything missing or of the wrong kind."""
        if not isinstance(data, dict):
            return cls()
        theme = data.get("theme")
        column = data.get("sort_column")
        reverse = data.get("sort_reverse")
        store = data.get("store")
        return cls(
            store=store if isinstance(store, str) and store else None,
            theme=theme if isinstance(theme, str) and theme else None,
            sort_column=column if isinstance(column, str) and column else None,
            sort_reverse=reverse if isinstance(reverse, bool) else False,
        )


class PreferenceFile:
    """The preferences of one profile, read once and rewritten when they change."""

    def __init__(self, folder: Path | None) -> None:
        """``folder``: the profile's state directory (``None``: remember nothing)."""
        self.path = folder / PREFERENCES_FILE if folder is not None else None
        self.current = self._read()

    def _read(self) -> UiPreferences:
        if self.path is None:
            return UiPreferences()
        try:
            return UiPreferences.from_json(json.loads(self.path.read_text(encoding="utf-8")))
        except (OSError, ValueError):  # missing, unreadable or not JSON: nothing remembered
            return UiPreferences()

    def update(self, **changes: Any) -> None:
        """Remember ``changes`` (fields of :class:`UiPreferences`); writes only when they differ."""
        chosen = replace(self.current, **changes)
        if chosen == self.current:
            return
        self.current = chosen
        if self.path is None:
            return
        try:
            _write_atomically(self.path, json.dumps(asdict(chosen), indent=2) + "\n")
        except OSError as error:  # a preference is not worth an error on screen
            log.warning("could not save the UI preferences to %s: %s", self.path, error)


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
