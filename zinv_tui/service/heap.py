"""Give freed heap memory back to the operating system after a big transient load.

A 50,000-variant snapshot or a 20,000-product catalogue passes through tens of MB of short-lived
buffers. glibc keeps freed memory mapped for reuse, so a long-running app would sit at its peak.
``malloc_trim(0)`` returns what is free (a few ms); elsewhere this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import sys

_trim = None
if sys.platform.startswith("linux"):
    try:
        _trim = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
        _trim.argtypes = [ctypes.c_size_t]
        _trim.restype = ctypes.c_int
    except (OSError, AttributeError):  # musl and friends have no malloc_trim
        _trim = None


def release_free_memory() -> None:
    """Free young garbage cycles, then hand free heap pages back to the OS where supported.

    The young-generation collection matters: an httpx response sits in a reference cycle with its
    stream, so a 9 MB body would otherwise linger until the next full collection. A full
    ``gc.collect()`` is not done (slow with many objects; the service's own data has no cycles).
    """
    gc.collect(1)
    if _trim is not None:
        _trim(0)
