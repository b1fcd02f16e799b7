"""The program ``zinv-tui`` (``zinv``, ``python -m zinv_tui``): the process is tuned
(:func:`zinv_tui.tuning.tune_process`) before the command line is imported, so importing it
already runs with the program's collector settings; then :func:`zinv_tui.cli.entry`."""

from __future__ import annotations


def entry() -> int:
    from zinv_tui.tuning import tune_process

    tune_process()
    from zinv_tui.cli import entry as run

    return run()
