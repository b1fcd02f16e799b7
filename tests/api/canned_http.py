"""A tiny raw-socket HTTP/1.1 server for the few wire situations the sandbox cannot produce.

It answers from a script of canned replies per ``METHOD /path`` and counts the exact bytes it read
and wrote, so the client's byte accounting can be checked to the byte. Used for ``100 Continue``,
malformed bodies, odd ``Retry-After`` values, a server that echoes the bearer token, and 404s on one
path only. Everything else is tested against the sandbox.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field

Reply = bytes | Callable[["Seen"], bytes]


@dataclass
class Seen:
    """One request as the server read it."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


def reply(
    status: int,
    body: object = b"",
    headers: dict[str, str] | None = None,
    reason: str = "X",
    interim: bytes = b"",
) -> bytes:
    """Raw bytes of an answer; ``body`` may be bytes or JSON-able."""
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    head = [f"HTTP/1.1 {status} {reason}"]
    merged = {"Content-Type": "application/json", "Content-Length": str(len(content))}
    merged.update(headers or {})
    head += [f"{name}: {value}" for name, value in merged.items()]
    return interim + ("\r\n".join(head) + "\r\n\r\n").encode() + content


TOKEN = "canned-access-token-0123456789"


def token_reply(expires_in: int = 7200, token: str = TOKEN) -> bytes:
    return reply(200, {"access_token": token, "expires_in": expires_in}, reason="OK")


@dataclass
class CannedServer:
    """Serve ``script[("GET", "/path")] = [reply, reply, ...]`` (the last one repeats)."""

    script: dict[tuple[str, str], list[Reply]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    bytes_read: int = 0
    bytes_written: int = 0
    interim_bytes: int = 0
    port: int = 0
    _server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def on(self, method: str, path: str, *replies: Reply) -> None:
        self.script[(method, path)] = list(replies)

    def requests_to(self, method: str, path: str) -> list[Seen]:
        return [seen for seen in self.seen if seen.method == method and seen.path == path]

    async def __aenter__(self) -> CannedServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if line:
                        name, _, value = line.partition(":")
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.bytes_read += len(head) + len(body)
                seen = Seen(method, target, headers, body)
                self.seen.append(seen)
                replies = self.script.get((method, seen.path))
                if not replies:
                    answer = reply(404, {"developerMessage": "no such path", "errorType": None})
                else:
                    chosen = replies.pop(0) if len(replies) > 1 else replies[0]
                    answer = chosen(seen) if callable(chosen) else chosen
                if answer.startswith(b"HTTP/1.1 100"):
                    interim, _, rest = answer.partition(b"\r\n\r\n")
                    self.interim_bytes += len(interim) + 4
                    answer_bytes = len(rest)
                else:
                    answer_bytes = len(answer)
                self.bytes_written += answer_bytes
                writer.write(answer)
                await writer.drain()
        finally:
            writer.close()
