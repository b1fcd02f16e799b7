"""An odd-answer proxy in front of a real sandbox, on loopback, for hostile-server tests.

Every request goes to the sandbox unchanged (so a movement is really applied and the ledger can
be checked), unless a rule matches: a rule may answer in the sandbox's place (nothing applied) or
forward first and then replace the answer (applied, answer lost or garbled). Answers can trickle
byte by byte, lie about their encoding, or carry any status and headers. The proxy runs its own
event loop in a thread, so a test's loop and an in-process CLI run (``asyncio.run``) both use it.

    with OddProxy(info.url) as proxy:
        proxy.on("PUT", "/organizations/self/inventory", forward_then(body=b'{"balance": null}'))
        ... ZettleClient(info.api_key, endpoints=ApiEndpoints.single(proxy.url)) ...
        assert proxy.count("PUT", "/organizations/self/inventory") == 1
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

HOP_HEADERS = {
    "host",
    "content-length",
    "connection",
    "accept-encoding",
    "transfer-encoding",
    "content-encoding",
}


@dataclass
class Seen:
    """One request as the proxy read it."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    def json(self) -> object:
        return json.loads(self.body)


@dataclass
class Reply:
    """An answer to write: ``trickle`` seconds between body bytes; ``drop`` closes the connection
    after the head and this many body bytes."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    trickle: float | None = None
    drop: int | None = None

    @classmethod
    def json(cls, status: int, data: object, **options: object) -> Reply:
        return cls(status, json.dumps(data).encode(), **options)  # type: ignore[arg-type]

    def raw(self) -> tuple[bytes, bytes]:
        headers = {"Content-Type": "application/json", "Content-Length": str(len(self.body))}
        headers.update(self.headers)
        head = [f"HTTP/1.1 {self.status} X"] + [f"{k}: {v}" for k, v in headers.items()]
        return ("\r\n".join(head) + "\r\n\r\n").encode(), self.body


Action = Callable[[Seen, Reply | None], Reply]
"""Gets the request and the sandbox's answer (None when the rule does not forward)."""


@dataclass
class Rule:
    method: str
    path: str
    action: Action
    forward: bool
    times: int | None

    def matches(self, seen: Seen) -> bool:
        if self.method != seen.method or self.times == 0:
            return False
        if self.path.endswith("*"):
            return seen.path.startswith(self.path[:-1])
        return seen.path == self.path


def answer(status: int, body: object = b"", **options: object) -> tuple[Action, bool]:
    """Answer in the sandbox's place (it never sees the request)."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return (lambda seen, sent: Reply(status, data, **options)), False  # type: ignore[arg-type]


def forward_then(
    status: int | None = None,
    body: object = None,
    **options: object,
) -> tuple[Action, bool]:
    """Let the sandbox apply the request, then replace its answer (status and/or body);
    ``body`` may be a function of the sandbox's body."""
    extra_headers: dict[str, str] = options.pop("headers", {})  # type: ignore[assignment]

    def act(seen: Seen, sent: Reply | None) -> Reply:
        assert sent is not None
        if callable(body):
            data = body(sent.body)
        elif body is None:
            data = sent.body
        else:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = {k: v for k, v in sent.headers.items() if k.lower() == "content-type"}
        headers.update(extra_headers)
        return Reply(sent.status if status is None else status, data, headers, **options)  # type: ignore[arg-type]

    return act, True


class OddProxy:
    """The proxy; use as a context manager (starts and stops its thread)."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.rules: list[Rule] = []
        self.rewrites: list[tuple[Rule, Callable[[bytes], bytes]]] = []
        self.seen: list[Seen] = []
        self.port = 0
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- rules and counts ------------------------------------------------------------------------

    def on(
        self, method: str, path: str, rule: tuple[Action, bool], times: int | None = None
    ) -> None:
        """Apply ``rule`` (from :func:`answer` or :func:`forward_then`) to matching requests, the
        next ``times`` of them (None: all). The newest matching rule wins."""
        action, forward = rule
        with self._lock:
            self.rules.insert(0, Rule(method, path, action, forward, times))

    def rewrite_requests(self, method: str, path: str, change: Callable[[bytes], bytes]) -> None:
        """Change the body of every matching request before the sandbox sees it (e.g. drop its
        ``externalUuid``, so the sandbox can't deduplicate)."""
        probe = Rule(method, path, lambda seen, sent: Reply(), True, None)
        with self._lock:
            self.rewrites.append((probe, change))

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def requests(self, method: str, path: str) -> list[Seen]:
        with self._lock:
            return [
                s
                for s in self.seen
                if s.method == method and Rule(method, path, None, False, None).matches(s)
            ]  # type: ignore[arg-type]

    def count(self, method: str, path: str) -> int:
        return len(self.requests(method, path))

    def _rule_for(self, seen: Seen) -> Rule | None:
        with self._lock:
            self.seen.append(seen)
            for rule in self.rules:
                if rule.matches(seen):
                    if rule.times is not None:
                        rule.times -= 1
                    return rule
        return None

    # -- life cycle ------------------------------------------------------------------------------

    def __enter__(self) -> OddProxy:
        self._thread = threading.Thread(target=self._run, name="odd-proxy", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the odd proxy did not start")
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        tasks: set[asyncio.Task] = set()
        async with httpx.AsyncClient(timeout=60, trust_env=False) as upstream:

            async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
                task = asyncio.current_task()
                assert task is not None
                tasks.add(task)
                try:
                    await self._serve(upstream, reader, writer)
                except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
                    pass
                finally:
                    tasks.discard(task)
                    writer.close()

            server = await asyncio.start_server(serve, "127.0.0.1", 0)
            self.port = server.sockets[0].getsockname()[1]
            self._ready.set()
            await self._stop.wait()
            server.close()
            for task in list(tasks):
                task.cancel()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 5)

    async def _serve(
        self,
        upstream: httpx.AsyncClient,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers: dict[str, str] = {}
            for line in lines[1:]:
                if line:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            seen = Seen(method, target, headers, body)
            rule = self._rule_for(seen)
            sent: Reply | None = None
            if rule is None or rule.forward:
                with self._lock:
                    changes = [change for probe, change in self.rewrites if probe.matches(seen)]
                for change in changes:
                    body = change(body)
                response = await upstream.request(
                    method,
                    self.upstream + target,
                    content=body,
                    headers={k: v for k, v in headers.items() if k not in HOP_HEADERS},
                )
                sent = Reply(
                    response.status_code,
                    response.content,
                    {
                        # An absolute Link to the next page points to the proxy, as it would
                        # to the server it stands in for.
                        k: v.replace(self.upstream, self.url) if k.lower() == "link" else v
                        for k, v in response.headers.items()
                        if k.lower() not in HOP_HEADERS
                    },
                )
            reply = sent if rule is None else rule.action(seen, sent)
            assert reply is not None
            head_bytes, body_bytes = reply.raw()
            writer.write(head_bytes)
            if reply.drop is not None:
                writer.write(body_bytes[: reply.drop])
                await writer.drain()
                return
            if reply.trickle is None:
                writer.write(body_bytes)
                await writer.drain()
            else:
                await writer.drain()
                for index in range(len(body_bytes)):
                    writer.write(body_bytes[index : index + 1])
                    await writer.drain()
                    await asyncio.sleep(reply.trickle)
