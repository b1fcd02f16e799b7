"""Cursor pages of v3's lists (zettle-v3.md §1.5): ``limit``, opaque cursors and ``Link``.

A page answers at most ``limit`` rows (default 100, 1-1000, else 400). When more follow, the
answer carries exactly one ``Link: <absolute URL>; rel="next"`` whose query starts with
``cursor=<uuid>&limit=<n>``, then every other parameter of the request (``ts``...); the last page
has none. A cursor is self-sufficient: the filters of the first request and the position are kept
here under it, so a client that rebuilds the URL from the cursor alone gets the same next page. An
unknown cursor (or one of another list, or forgotten after a restart) is a 400 ``INVALID_CURSOR``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from threading import Lock
from typing import Any
from urllib.parse import urlencode
from uuid import UUID, uuid1

from starlette.requests import Request

from zinv_tui.sandbox.errors import INVALID_CURSOR, ApiError, violation

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
_KEPT = 20_000
"""Cursors remembered (oldest forgotten first): bounded memory whatever the clients do."""


@dataclass(frozen=True, slots=True)
class Position:
    """What a cursor stands for: which list, its filters, and the key of the last row given."""

    route: str
    query: Any
    after: Any
    limit: int


class CursorBook:
    """The cursors handed out by one sandbox."""

    def __init__(self) -> None:
        self._positions: OrderedDict[str, Position] = OrderedDict()
        self._lock = Lock()

    def save(self, position: Position) -> str:
        """A new cursor for ``position``."""
        cursor = str(uuid1())
        with self._lock:
            self._positions[cursor] = position
            while len(self._positions) > _KEPT:
                self._positions.popitem(last=False)
        return cursor

    def load(self, cursor: str, route: str) -> Position:
        """The position of a cursor of this list; 400 ``INVALID_CURSOR`` otherwise."""
        try:
            key = str(UUID(cursor))
        except ValueError:
            key = ""
        with self._lock:
            found = self._positions.get(key)
        if found is None or found.route != route:
            raise ApiError(
                400,
                "Unknown or expired cursor: start again without one",
                INVALID_CURSOR,
                [violation("cursor", "unknown cursor", constraint="INVALID_RANGE", value=cursor)],
            )
        return found


def parse_limit(request: Request) -> int | None:
    """``limit`` (1-1000) or ``None`` when absent; 400 otherwise."""
    text = request.query_params.get("limit")
    if text is None:
        return None
    stripped = text.strip()
    if not (stripped.isascii() and stripped.isdigit() and len(stripped) <= 7) or not (
        1 <= int(stripped) <= MAX_LIMIT
    ):
        raise ApiError.bad_request(
            f"limit must be a whole number from 1 to {MAX_LIMIT}",
            [violation("limit", f"1 to {MAX_LIMIT}", constraint="INVALID_RANGE", value=text)],
        )
    return int(stripped)


def route_of(request: Request) -> str:
    """The list a request reads: its path without a trailing slash."""
    return request.url.path.rstrip("/")


def link_next(request: Request, cursor: str, limit: int) -> str:
    """``<absolute URL>; rel="next"``: same scheme, host and path, ``cursor`` and ``limit``
    first, then the request's other parameters."""
    url = request.url
    rest = [(k, v) for k, v in request.query_params.multi_items() if k not in ("cursor", "limit")]
    query = f"cursor={cursor}&limit={limit}" + (f"&{urlencode(rest)}" if rest else "")
    return f'<{url.scheme}://{url.netloc}{url.path}?{query}>; rel="next"'


async def page_of(
    request: Request,
    book: CursorBook,
    *,
    first: Callable[[], tuple[Any, Any]],
    fetch: Callable[[Any, Any, int], Any],
    key: Callable[[Any], Any],
    run: Callable[..., Any],
    cap: int | None = None,
) -> tuple[Sequence[Any], dict[str, str]]:
    """One page of a list: its rows and the headers (``Link`` unless it is the last page).

    ``first()`` reads the filters of a first request (no cursor) and where its list starts:
    ``(query, start)``; ``fetch(query, after, n)`` returns up to ``n`` rows after the key
    ``after``, run through ``run`` (the store's thread); ``key(row)`` is the position after a row.
    ``cap`` (the ``page_cap`` knob) makes pages smaller than asked; the ``Link`` keeps the
    ``limit`` asked for.
    """
    limit = parse_limit(request)
    route = route_of(request)
    cursor = request.query_params.get("cursor")
    if cursor is not None:
        position = book.load(cursor, route)
        query, after, size = position.query, position.after, limit or position.limit
    else:
        (query, after), size = first(), limit or DEFAULT_LIMIT
    shown = min(size, cap) if cap else size
    rows = await run(fetch, query, after, shown + 1)
    if len(rows) <= shown:
        return rows, {}
    rows = rows[:shown]
    following = book.save(Position(route, query, key(rows[-1]), size))
    return rows, {"Link": link_next(request, following, size)}
