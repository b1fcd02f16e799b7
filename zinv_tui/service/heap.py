"""Give freed heap memory back to the operating system after a big transient load.

A 50,000-variant snapshot or a 20,000-product catalogue passes through tens of MB of short-lived
buffers. glibc keeps freed memory mapped for reuse, so a long-running app would sit at its peak.
``malloc_trim(0)`` returns what is free (a few ms); elsewhere this does nothing.

glibc also raises its mmap threshold to the largest block freed so far (up to 32 MB): after the
first 26 MB catalogue body is freed, every later 9 MB balance body lands in the heap, where growing
it copies and freeing it leaves a hole until the next trim. :func:`map_big_blocks` pins the
threshold, so a big body is always its own mapping: grown in place, unmapped the moment it is freed.

Both change the whole process, so they are the program's choice, never a library's: only
:func:`zinv_tui.tuning.tune_process` (called at the program's entry point) pins the threshold and
switches :func:`release_free_memory` on. Importing this module, or running a service in a process
that did not ask, changes nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import sys

BIG_BLOCK = 256 * 1024
"""Blocks at least this big get their own mapping (glibc starts at 128 KiB, then moves it)."""

_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter number

_trim = None
_mallopt = None
if sys.platform.startswith("linux"):
    try:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        _trim = _libc.malloc_trim
        _trim.argtypes = [ctypes.c_size_t]
        _trim.restype = ctypes.c_int
        _mallopt = _libc.mallopt
        _mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        _mallopt.restype = ctypes.c_int
    except (OSError, AttributeError):  # musl and friends have no malloc_trim
        _trim = _mallopt = None


_releasing = False
"""Set by :func:`release_after_big_reads` (the program's tuning): :func:`release_free_memory`
does nothing otherwise."""


def map_big_blocks() -> bool:
    """Pin glibc's mmap threshold at :data:`BIG_BLOCK` (process-wide; idempotent).

    True when it took effect (glibc); elsewhere nothing happens and it answers False.
    """
    return _mallopt is not None and _mallopt(_M_MMAP_THRESHOLD, BIG_BLOCK) == 1


def release_after_big_reads(on: bool = True) -> None:
    """Let :func:`release_free_memory` work (the program's choice; see the module doc)."""
    global _releasing
    _releasing = on


def release_free_memory() -> None:
    """When the program asked for it: free young garbage cycles, then hand free heap pages back
    to the OS where supported (else nothing).

    The young-generation collection matters: an httpx response sits in a reference cycle with its
    stream, so a 9 MB body would otherwise linger until the next full collection. A full
    ``gc.collect()`` is not done (slow with many objects; the service's own data has no cycles).
    """
    if not _releasing:
        return
    gc.collect(1)
    if _trim is not None:
        _trim(0)
