"""The road every request takes: rate limit, bearer token, send, count, retry, map errors.

Retry rules, by what the failure says about a second try (``repeatable`` is decided per call by
the client):

- *Retried* (with exponential backoff and full jitter) when a repeatable request (reads,
  idempotent writes) may well succeed a moment later: a 5xx or 429, a dropped or refused
  connection, a timeout. These are the network's and the server's hiccups.
- *Never retried*: an answer that came whole but can't be read (a 2xx whose body is not in the
  encoding it names, bad JSON, absurd numbers, the wrong shape). The server would send the same
  bytes again, and over TLS a transfer is not silently corrupted, so it goes up at once as a
  :class:`MalformedResponse`; the caller decides (a command ends, the app's poll tries again at
  its own pace). Any other 4xx goes up at once too: its status says what is wrong.
- A write that is not repeatable is repeated only when Zettle provably did not act on it: a 429
  (refused before any work), a connection that was never established, or a 401 (the token is
  checked first).
- A 401 renews the token once (one renewal shared by concurrent callers) and repeats the request
  once.
- ``Retry-After`` on a 429/503 is honoured (and holds off every caller through the limiter); a wait
  longer than ``RetryPolicy.max_retry_after`` is not sat out: the error goes up with
  ``retry_after`` set.
- With a deadline (:meth:`RequestPipeline.limit_to`, a command's whole time limit), no backoff
  waits past it and no attempt runs past it: the last real failure goes up instead. The time the
  client spends keeping its own pace under Zettle's rate limit is not counted (the deadline moves
  on by it): a command reading many pages is not cut off for being polite. Waiting out Zettle's
  ``Retry-After`` is counted.

Every failure becomes a :class:`~zinv_tui.api.errors.ZettleError`: transport errors a
:class:`NetworkError`, a body that can't be decoded (``Content-Encoding: gzip`` on a body that is
not) a :class:`MalformedResponse` (or the error its status stands for). An error after which a
write may have been applied anyway carries ``outcome_unknown``.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import socket
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

import httpx

from zinv_tui.api.auth import AssertionGrant
from zinv_tui.api.errors import MalformedResponse, NetworkError, ZettleError
from zinv_tui.api.ratelimit import RateLimiter
from zinv_tui.api.responses import (
    error_from_response,
    says_token_expired,
    token_error_from_response,
)
from zinv_tui.api.retry import RETRYABLE_STATUSES, RetryPolicy, parse_retry_after
from zinv_tui.api.stats import ClientStats, request_size, response_size
from zinv_tui.redaction import redact

log = logging.getLogger("zinv_tui.api")

_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
"""Failures that happen before a single byte of the request left: always safe to repeat."""


class _AttemptTimeout(Exception):
    """The whole attempt (not a single read) took longer than its deadline; ``time_limit``:
    cut short by the caller's whole time limit of that many seconds."""

    def __init__(self, seconds: float, time_limit: float | None = None) -> None:
        super().__init__(seconds)
        self.seconds = seconds
        self.time_limit = time_limit


class _UndecodableBody(Exception):
    """The answer came, but its body could not be decoded (e.g. labelled gzip, and it is not)."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def _without_body(response: httpx.Response) -> httpx.Response:
    """The status and headers of an answer whose body could not be decoded, with no body."""
    headers = [(k, v) for k, v in response.headers.items() if k.lower() != "content-encoding"]
    return httpx.Response(response.status_code, headers=headers, content=b"")


def redact_error(error: ZettleError, secrets: Sequence[str]) -> ZettleError:
    """Scrub secrets from everything an error shows or carries (server text may echo them), by
    the app's one rule (:func:`zinv_tui.redaction.redact`)."""
    error.message = redact(error.message, secrets)
    error.args = (error.message,)
    if error.developer_message:
        error.developer_message = redact(error.developer_message, secrets)
    if error.violations:
        error.violations = tuple(
            violation.model_copy(
                update={
                    key: redact(value, secrets)
                    for key, value in violation.model_dump().items()
                    if isinstance(value, str)
                }
            )
            for violation in error.violations
        )
    return error


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain and len(chain) < 10:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def describe_transport_error(exc: BaseException, host: str, timeout: float) -> str:
    """Plain words for a failure without an answer, e.g. ``"inventory.izettle.com: timed out"``."""
    if isinstance(exc, httpx.ConnectTimeout):
        reason = f"no connection within {timeout:g} s"
    elif isinstance(exc, httpx.PoolTimeout):
        reason = "too many requests waiting for a connection"
    elif isinstance(exc, _AttemptTimeout) and exc.time_limit is not None:
        reason = f"the answer took longer than the time limit of {exc.time_limit:g} s"
    elif isinstance(exc, _AttemptTimeout):
        reason = f"the answer took longer than {round(exc.seconds, 1):g} s"
    elif isinstance(exc, httpx.TimeoutException):
        reason = f"no answer within {timeout:g} s"
    elif isinstance(exc, httpx.ConnectError):
        causes = _causes(exc)
        if any(isinstance(cause, ConnectionRefusedError) for cause in causes):
            reason = "connection refused"
        elif any(isinstance(cause, socket.gaierror) for cause in causes):
            reason = "address not found"
        else:
            reason = "could not connect"
    elif isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        reason = "the connection was dropped"
    else:
        reason = "connection failed"
    return f"Can't reach Zettle ({host}: {reason}) - check the connection"


class BodySink(Protocol):
    """Takes a 2xx answer's (decoded) body chunk by chunk as it arrives (see :meth:`read_into`)."""

    def write(self, chunk: bytes) -> object: ...


SinkT = TypeVar("SinkT", bound=BodySink)


class BytesSink:
    """The body as one ``bytes``, built without a second copy.

    ``Response.aread`` keeps every chunk in a list and joins them: twice the body in memory at the
    peak (18 MB for a 9 MB balance snapshot). A ``BytesIO`` grows one buffer in place and
    ``getvalue()`` hands that same buffer out (CPython resizes it instead of copying).
    """

    def __init__(self) -> None:
        self._buffer = io.BytesIO()

    def write(self, chunk: bytes) -> object:
        return self._buffer.write(chunk)

    def getvalue(self) -> bytes:
        body = self._buffer.getvalue()
        self._buffer.close()
        return body


class RequestPipeline:
    """Sends requests for :class:`~zinv_tui.api.client.ZettleClient` (one per client)."""

    def __init__(
        self,
        http: Callable[[], httpx.AsyncClient],
        *,
        policy: RetryPolicy,
        stats: ClientStats,
        limiter: RateLimiter | None,
        timeout: float,
        attempt_deadline: float,
        key_scopes: Callable[[], Sequence[str]] = tuple,
    ) -> None:
        self._make_http = http
        self._http_client: httpx.AsyncClient | None = None
        self._closed = False
        self._policy = policy
        self._stats = stats
        self._limiter = limiter
        self._timeout = timeout
        self._attempt_deadline = attempt_deadline
        self._key_scopes = key_scopes
        self.grant: AssertionGrant | None = None
        self._sleep = asyncio.sleep
        self.deadline: float | None = None
        """Loop time by which every call must end (None: no limit but each attempt's): no retry
        waits past it and no attempt runs past it, so a caller with a time budget hears the
        real reason (refused, timed out) rather than being cut off. Set by :meth:`limit_to`."""
        self._time_limit: float | None = None
        self._extended: Callable[[float], object] | None = None
        self._paced_seen = 0.0

    @property
    def _http(self) -> httpx.AsyncClient:
        """The connection pool, made by the first request: making one (TLS context, CA
        certificates) takes 0.05-0.15 s, which a launch painting from its snapshot spends after
        the first paint instead of before it."""
        http = self._http_client
        if http is None:
            if self._closed:  # as a closed httpx client does: no request after aclose
                raise RuntimeError("Cannot send a request, as the client has been closed.")
            http = self._http_client = self._make_http()
        return http

    async def aclose(self) -> None:
        """Close the connections (if any were made); no request is sent afterwards."""
        self._closed = True
        if self._http_client is not None:
            await self._http_client.aclose()

    def limit_to(
        self, seconds: float | None, extended: Callable[[float], object] | None = None
    ) -> None:
        """Let every call end within ``seconds`` from now (None: lift the limit). The deadline
        moves on by the time the limiter spends keeping the pace, and ``extended`` hears each
        such move (seconds added), so an outer time limit can move with it."""
        self._time_limit = seconds
        self._extended = extended if seconds is not None else None
        self._paced_seen = self._limiter.paced if self._limiter is not None else 0.0
        self.deadline = None if seconds is None else asyncio.get_running_loop().time() + seconds

    def _count_pacing(self, limiter: RateLimiter) -> None:
        """Move the deadline on by the pacing since last seen (the limiter's waits are served
        one after the other, so its running total is their union)."""
        grown = limiter.paced - self._paced_seen
        self._paced_seen = limiter.paced
        if grown > 0 and self.deadline is not None:
            self.deadline += grown
            if self._extended is not None:
                self._extended(grown)

    def _time_left(self) -> float | None:
        if self.deadline is None:
            return None
        return self.deadline - asyncio.get_running_loop().time()

    async def _pause(self, delay: float, error: ZettleError) -> None:
        """Wait ``delay`` before a retry, or raise ``error`` when that would pass the deadline."""
        left = self._time_left()
        if left is not None and delay >= left:
            raise error
        await self._sleep(delay)

    def secrets(self) -> tuple[str, ...]:
        return self.grant.secrets() if self.grant else ()

    async def post_form(self, url: str, form: dict[str, str]) -> httpx.Response:
        """POST a form without a bearer token (the token endpoint); retried like a read, since
        asking for a token changes nothing on the server."""
        response, _ = await self._run(
            "POST",
            url,
            content=None,
            form=form,
            params=None,
            extra_headers=None,
            authorized=False,
            repeatable=True,
        )
        return response

    async def request(
        self,
        method: str,
        url: str,
        *,
        json_body: Any = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        repeatable: bool,
        write: bool | None = None,
    ) -> httpx.Response:
        """Send an authorized request; return the 2xx (or 304) answer, or raise a ZettleError.

        ``write`` (default: any method but GET) goes before waiting reads in the rate limiter;
        a POST that only reads says ``write=False``."""
        content = None
        if json_body is not None:
            content = json.dumps(json_body, separators=(",", ":")).encode()
        response, _ = await self._run(
            method,
            url,
            content=content,
            form=None,
            params=params,
            extra_headers=headers,
            authorized=True,
            repeatable=repeatable,
            write=method != "GET" if write is None else write,
        )
        return response

    async def read(
        self,
        url: str,
        *,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[httpx.Response, bytes]:
        """An authorized GET for a big answer: the 2xx (or 304) response and its body apart.

        The body is collected into a single buffer (see :class:`BytesSink`) and the response
        does not keep it (``response.content`` is not set), so only one copy ever exists; the
        caller decodes it and lets it go. Retries, errors and stats are as for :meth:`request`.
        """
        response, sink = await self.read_into(url, BytesSink, params=params, headers=headers)
        return response, sink.getvalue() if sink is not None else b""

    async def read_into(
        self,
        url: str,
        new_sink: Callable[[], SinkT],
        *,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[httpx.Response, SinkT | None]:
        """An authorized GET whose 2xx body is fed to a sink as it arrives (None for a 304).

        Every attempt gets a fresh sink from ``new_sink``, so a retry after a connection dropped
        mid-body starts clean; an exception from the sink's ``write`` ends the call.
        """
        response, sink = await self._run(
            "GET",
            url,
            content=None,
            form=None,
            params=params,
            extra_headers=headers,
            authorized=True,
            repeatable=True,
            new_sink=new_sink,
        )
        return response, sink  # type: ignore[return-value]

    async def _run(
        self,
        method: str,
        url: str,
        *,
        content: bytes | None,
        form: dict[str, str] | None,
        params: dict[str, str] | None,
        extra_headers: dict[str, str] | None,
        authorized: bool,
        repeatable: bool,
        new_sink: Callable[[], BodySink] | None = None,
        write: bool = False,
    ) -> tuple[httpx.Response, BodySink | None]:
        attempt = 0  # backoff retries used so far
        renewed = False
        first = True
        while True:
            if not first:
                self._stats.retries += 1
            first = False
            headers = dict(extra_headers or {})
            token = None
            if authorized:
                assert self.grant is not None
                try:
                    token = await self.grant.token()
                except ZettleError as refused:
                    raise redact_error(refused, self.secrets()) from None
                headers["Authorization"] = f"Bearer {token}"
            if content is not None:
                headers["Content-Type"] = "application/json"
            if authorized and self._limiter is not None:
                await self._limiter.acquire(first=write)
                self._count_pacing(self._limiter)
            request = self._http.build_request(
                method, url, content=content, data=form, params=params, headers=headers
            )
            try:
                response, sink = await self._attempt(
                    request, is_token=not authorized, new_sink=new_sink
                )
            except (httpx.HTTPError, _AttemptTimeout) as exc:
                never_sent = isinstance(exc, _NEVER_SENT)
                error: ZettleError = NetworkError(
                    describe_transport_error(exc, request.url.host, self._timeout),
                    outcome_unknown=not never_sent,
                )
                log.info("%s %s: %s", method, request.url.path, error)
                if (repeatable or never_sent) and attempt < self._policy.max_retries:
                    await self._pause(self._policy.backoff(attempt), error)
                    attempt += 1
                    continue
                raise error from None
            except _UndecodableBody as exc:
                status = exc.response.status_code
                log.info("%s %s: HTTP %s, body not decodable", method, request.url.path, status)
                if not 200 <= status < 300:
                    # An error answer still says what it is by its status: handled as one.
                    response, sink = _without_body(exc.response), None
                else:
                    # The answer came and can't be read: asking again gets the same answer.
                    raise redact_error(
                        MalformedResponse(
                            "Zettle sent an answer the app can't decode (its body is not in the "
                            "encoding it names) - try again; if it keeps happening, report it",
                            status=status,
                            outcome_unknown=True,
                        ),
                        self.secrets(),
                    ) from None

            status = response.status_code
            if 200 <= status < 300 or status == 304:
                return response, sink
            log.info("%s %s: HTTP %s", method, request.url.path, status)

            if status == 401 and authorized and not renewed:
                expired = says_token_expired(response)
                log.info(
                    "token refused (%s); asking for a new one", "expired" if expired else "401"
                )
                assert self.grant is not None
                try:
                    await self.grant.renew(stale=token)
                except ZettleError as refused:
                    raise redact_error(refused, self.secrets()) from None
                renewed = True
                continue

            error = (
                error_from_response(response, key_scopes=self._key_scopes())
                if authorized
                else token_error_from_response(response)
            )
            error = redact_error(error, self.secrets())
            if status in RETRYABLE_STATUSES and (repeatable or status == 429):
                if attempt >= self._policy.max_retries:
                    raise error
                retry_after = parse_retry_after(response.headers.get("retry-after"))
                if retry_after is not None and status in (429, 503):
                    if retry_after > self._policy.max_retry_after:
                        raise error
                    delay = retry_after
                else:
                    delay = self._policy.backoff(attempt)
                left = self._time_left()
                if left is not None and delay >= left:
                    raise error
                if status == 429 and self._limiter is not None and authorized:
                    # Everyone waits, not only this caller; the limiter sleeps for us.
                    self._limiter.hold_off(delay)
                else:
                    await self._sleep(delay)
                attempt += 1
                continue
            raise error

    async def _attempt(
        self,
        request: httpx.Request,
        *,
        is_token: bool,
        new_sink: Callable[[], BodySink] | None = None,
    ) -> tuple[httpx.Response, BodySink | None]:
        """One exchange: send, read the whole body, count it.

        With ``new_sink``, a 2xx body goes to a fresh sink chunk by chunk instead of being stored
        in the response; error answers are always read into the response.
        """
        self._stats.requests += 1
        if is_token:
            self._stats.token_requests += 1
        response: httpx.Response | None = None
        sink: BodySink | None = None
        limit = self._attempt_deadline
        time_limit = None  # set when the caller's whole time limit is what cuts this attempt
        left = self._time_left()
        if left is not None and left < limit:
            limit, time_limit = max(0.0, left), self._time_limit
        try:
            async with asyncio.timeout(limit):
                response = await self._http.send(request, stream=True)
                try:
                    if new_sink is not None and 200 <= response.status_code < 300:
                        sink = new_sink()
                        async for chunk in response.aiter_bytes():
                            sink.write(chunk)
                    else:
                        await response.aread()
                finally:
                    await response.aclose()
        except httpx.DecodingError:
            self._stats.bytes_sent += request_size(request)
            assert response is not None  # decoding starts once the answer is there
            raise _UndecodableBody(response) from None
        except TimeoutError:
            self._stats.bytes_sent += request_size(request)
            raise _AttemptTimeout(limit, time_limit) from None
        except _NEVER_SENT:
            raise
        except httpx.TransportError:
            self._stats.bytes_sent += request_size(request)
            if response is not None:
                self._stats.bytes_received += response_size(response)
            raise
        self._stats.bytes_sent += request_size(request)
        self._stats.bytes_received += response_size(response)
        return response, sink
