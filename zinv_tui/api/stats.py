"""Counters of what the client put on the wire, and how HTTP/1.1 message sizes are estimated.

What is counted, per attempt (token requests and retries included):

- ``bytes_sent``: the request line (``PUT /path?query HTTP/1.1``), every header as sent by httpx
  (``Name: value`` plus CRLF, including Host, Content-Length, Authorization), the blank line and
  the body. Counted once the request has been handed to a connection; an attempt that never
  connected (refused, DNS) counts no bytes.
- ``bytes_received``: the status line, every response header as received, the blank line and the
  body bytes as they came off the socket (still compressed when the server compressed them).
  Chunked transfer framing and ``100 Continue`` interim answers are not counted; TLS overhead is
  not counted.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import httpx

_CRLF = 2


@dataclass(slots=True)
class ClientStats:
    """Running totals of one :class:`~zinv_tui.api.client.ZettleClient`."""

    requests: int = 0
    """HTTP requests attempted (first tries, retries and token requests)."""
    retries: int = 0
    """Attempts that repeated an earlier one (backoff retries and repeats after a token renewal)."""
    token_requests: int = 0
    """Calls to the OAuth token endpoint."""
    bytes_sent: int = 0
    bytes_received: int = 0

    def snapshot(self) -> ClientStats:
        """A copy, to subtract later: ``client.stats - before``."""
        return replace(self)

    def __sub__(self, other: ClientStats) -> ClientStats:
        return ClientStats(
            **{f.name: getattr(self, f.name) - getattr(other, f.name) for f in fields(self)}
        )


def request_size(request: httpx.Request) -> int:
    """Bytes of ``request`` on the wire as HTTP/1.1 (see the module docstring)."""
    target = request.url.raw_path
    size = len(request.method) + 1 + len(target) + len(b" HTTP/1.1") + _CRLF
    for name, value in request.headers.raw:
        size += len(name) + 2 + len(value) + _CRLF
    size += _CRLF
    try:
        size += len(request.content)
    except httpx.RequestNotRead:  # streamed body: count what Content-Length announces
        size += int(request.headers.get("content-length", "0") or 0)
    return size


def response_size(response: httpx.Response) -> int:
    """Bytes of ``response`` on the wire as HTTP/1.1; call after the body was read."""
    reason = response.reason_phrase or ""
    size = len(b"HTTP/1.1 ") + 3 + 1 + len(reason) + _CRLF
    for name, value in response.headers.raw:
        size += len(name) + 2 + len(value) + _CRLF
    size += _CRLF
    size += response.num_bytes_downloaded
    return size
