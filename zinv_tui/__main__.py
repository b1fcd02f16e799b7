"""``python -m zinv_tui``: the same entry point as the ``zinv-tui`` command."""

from zinv_tui.program import entry

raise SystemExit(entry())
