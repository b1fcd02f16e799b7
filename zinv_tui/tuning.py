"""Process-wide tuning: the program's choice, made once at its entry point.

:func:`tune_process` is called by ``zinv-tui`` itself (:func:`zinv_tui.program.entry`, which the
console scripts and ``python -m zinv_tui`` run, before the command line is imported; and
:func:`zinv_tui.cli.entry`) and never by the library: importing the package,
building a client or starting a service changes nothing process-wide, so anyone embedding them
keeps their own allocator, collector and imports. What it does, and what each saved when measured
(``tests/benchmarks``, 50,000 variants):

- httpx without its command-line client (:mod:`zinv_tui.api.httpx_without_cli`): about 50 ms and
  5 MB of start-up (click, rich's console, pygments) the app never uses;
- glibc's mmap threshold pinned and free heap pages returned after each big read
  (:mod:`zinv_tui.service.heap`): a 9 MB balance body is unmapped the moment it is freed instead
  of leaving a hole in the heap; the steady RSS stays near the data's own size;
- after the stock is loaded (:func:`freeze_after_load`, called by the TUI), one full
  ``gc.collect()`` and then ``gc.freeze()``: the loaded stock (and Textual's DOM) stays out of the
  cyclic collector's full passes, which otherwise stall a frame by ~0.1 s now and then at 50k
  rows; the full collection first means no garbage is frozen with it;
- until then, young collections only every :data:`START_THRESHOLD` allocations instead of 700:
  what a start allocates (modules, classes, the loaded rows) lives as long as the program, so
  collecting it over and over while it arrives was 0.1-0.2 s of every launch; the freeze after
  the load sets the usual thresholds back.
"""

from __future__ import annotations

import gc

from zinv_tui.api.httpx_without_cli import import_httpx_without_cli
from zinv_tui.service.heap import map_big_blocks, release_after_big_reads

_tuned = False
START_THRESHOLD = 50_000
"""Allocations between young collections from the start to the end of the first load."""
_usual_thresholds: tuple[int, int, int] | None = None


def tune_process() -> None:
    """Tune this process for the app (see the module doc); idempotent. Call it at the entry
    point, before anything imports httpx."""
    global _tuned
    if _tuned:
        return
    _tuned = True
    global _usual_thresholds
    _usual_thresholds = gc.get_threshold()
    gc.set_threshold(START_THRESHOLD, *_usual_thresholds[1:])
    import_httpx_without_cli()
    map_big_blocks()
    release_after_big_reads()


def process_tuned() -> bool:
    """True once :func:`tune_process` ran in this process."""
    return _tuned


def freeze_after_load() -> bool:
    """In a tuned process: collect every generation, then freeze what is left (the loaded stock,
    the app) out of the collector's full passes, and set the usual thresholds back (see
    :data:`START_THRESHOLD`). True when it froze (then ``gc.unfreeze()`` when
    the app ends); False, doing nothing, in a process that was not tuned."""
    if not _tuned:
        return False
    gc.collect()
    gc.freeze()
    if _usual_thresholds is not None:
        gc.set_threshold(*_usual_thresholds)
    return True
