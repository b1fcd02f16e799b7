"""The one thread that talks to the sandbox's SQLite database.

Handlers hand their database work to :meth:`StoreThread.run` and await it, so the event loop keeps
answering while a big request is written (a 20,000-change PUT, the first Product Library list),
and the connection is only ever used by one thread, one piece of work after another.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class StoreThread:
    """A single worker thread for every piece of work on the store, in submission order."""

    def __init__(self, name: str = "zinv-sandbox-db") -> None:
        self.name = name
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)

    async def run(self, work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``work(*args, **kwargs)`` on the store's thread and return its result."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(work, *args, **kwargs))

    def close(self) -> None:
        """Finish the queued work and stop the thread."""
        self._executor.shutdown(wait=True)
