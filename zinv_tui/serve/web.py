"""The web server of ``zinv-tui serve``: textual-serve's routes behind a door.

textual-serve (``Server``) serves a page with xterm.js and, on each websocket, starts one app
process (``command``) whose screen it relays. In front of every route this adds:

- a login page when a password is set: ``POST /login`` checks it (scrypt, one check at a time, a
  second's pause after a wrong one) and sets a random session cookie (HttpOnly, SameSite=Strict);
  every other route, the websocket and downloads included, answers 401 without it, so no app
  process starts for a stranger;
- the websocket only for pages of this server (its ``Origin`` must be this host), so another web
  site open in the same browser cannot drive the app;
- on a loopback address, only loopback host names (a DNS-rebinding page cannot reach it).

When the server stops (Ctrl+C, SIGTERM) it tells every tab's app to quit and reaps its process
while its event loop still runs (textual-serve leaves them to a closed loop, and asyncio then
prints tracebacks about it on the terminal).

The page is textual-serve's, less the web font it fetches from the internet (the font ships with
textual-serve), plus a viewport for tablets and a question before the tab is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import secrets
import signal
import sys
import time
import weakref
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp_jinja2
from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server

from zinv_tui.serve.hosts import host_name, is_loopback
from zinv_tui.serve.password import PasswordHash

TEMPLATES = Path(__file__).with_name("templates")
COOKIE = "zinv_serve"
SESSION_SECONDS = 12 * 3600
"""How long a sign-in lasts (a shop's day); restarting the server signs everyone out."""
WRONG_PASSWORD_PAUSE = 1.0
"""Seconds before a wrong password is answered (with one check at a time: about one guess a
second)."""
PUBLIC_PATHS = frozenset({"/login"})
TAB_QUIT_SECONDS = 10.0
"""How long a tab's app has to quit when the server stops (it stops its service first), before
it is terminated."""

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


LOGIN_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>zinv-tui: sign in</title>
<style>
  body {{ background: #0c181f; color: #e8eef2; font-family: sans-serif; display: flex;
         min-height: 100vh; align-items: center; justify-content: center; margin: 0; }}
  form {{ background: #12232d; padding: 32px; border-radius: 8px; width: min(90vw, 380px); }}
  h1 {{ font-size: 22px; margin: 0 0 16px; }}
  label {{ display: block; margin-bottom: 8px; }}
  input, button {{ font-size: 20px; width: 100%; box-sizing: border-box; padding: 12px;
                   border-radius: 6px; border: 1px solid #3b5566; }}
  button {{ margin-top: 16px; background: #2f7dbf; color: white; border: none; min-height: 52px; }}
  .error {{ color: #ff8a80; margin-top: 12px; }}
  .note {{ color: #9fb3c0; font-size: 14px; margin-top: 16px; }}
</style>
</head>
<body>
<form method="post" action="/login">
  <h1>zinv-tui: {title}</h1>
  <label for="password">Password</label>
  <input type="password" id="password" name="password" autocomplete="current-password"
         autofocus required>
  <button type="submit" id="sign-in">Sign in</button>
  {message}
  <p class="note">Set with <code>zinv-tui serve --set-password</code> on the shop's computer.</p>
</form>
</body>
</html>
"""


class ZinvServer(Server):
    """textual-serve's ``Server`` with a login (when ``password`` is set) and origin checks."""

    def __init__(
        self,
        command: str,
        *,
        host: str,
        port: int,
        password: PasswordHash | None,
        title: str = "zinv-tui",
        public_url: str | None = None,
        announce: str = "",
    ) -> None:
        super().__init__(
            command,
            host=host,
            port=port,
            title=title,
            public_url=public_url,
            templates_path=TEMPLATES,
        )
        self.password = password
        self.fixed_public_url = public_url
        self.loopback_only = is_loopback(host)
        self.announce = announce
        self._sessions: dict[str, float] = {}
        self._checking = asyncio.Lock()
        self._tabs: weakref.WeakSet[AppService] = weakref.WeakSet()
        """The app of every open tab (a closed tab's goes once textual-serve lets it go)."""

    # ----------------------------------------------------------------- start

    def initialize_logging(self) -> None:
        """Plain lines on stderr; the per-request access log is left out (it would name every
        tablet's address on each page load)."""
        logging.basicConfig(level="INFO", format="zinv-tui serve: %(message)s", stream=sys.stderr)
        logging.getLogger("aiohttp.access").setLevel(logging.WARNING)

    async def on_startup(self, app: web.Application) -> None:
        """textual-serve prints its logo here; this server says where it is once it listens."""

    def serve(self, debug: bool = False) -> None:
        """Serve until SIGINT/SIGTERM (as textual-serve's ``serve``, announcing the address only
        once the port is bound); raises OSError when it cannot listen."""
        self.debug = debug
        self.initialize_logging()
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(signum, self.request_exit)
        announce = self.announce or f"zinv-tui serve: on {self.public_url}"
        web.run_app(
            self._make_app(),
            host=self.host,
            port=self.port,
            handle_signals=False,
            loop=loop,
            print=lambda *_args: print(announce, flush=True),
        )

    async def _process_messages(
        self, websocket: web.WebSocketResponse, app_service: AppService
    ) -> None:
        """textual-serve's relay of a tab, its app remembered for :meth:`on_shutdown`."""
        self._tabs.add(app_service)
        await super()._process_messages(websocket, app_service)

    async def on_shutdown(self, app: web.Application) -> None:
        """Before the tabs' connections close: every tab's app quits (or is ended) and its
        process is reaped while the loop still runs."""
        await asyncio.gather(*(end_tab(tab) for tab in list(self._tabs)))

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.middlewares.append(self._guard)
        app.router.add_get("/login", self.handle_login_page)
        app.router.add_post("/login", self.handle_login)
        return app

    # ----------------------------------------------------------------- the door

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if self.loopback_only and not self._loopback_host(request):
            return web.Response(status=403, text="This server answers on this computer only.\n")
        origin = request.headers.get("Origin")
        if origin is not None and urlsplit(origin).netloc.lower() not in self._own_hosts(request):
            return web.Response(status=403, text="Not from a page of this server.\n")
        if (
            self.password is not None
            and request.path not in PUBLIC_PATHS
            and not self.signed_in(request)
        ):
            if request.method == "GET" and request.path == "/":
                raise web.HTTPSeeOther("/login")
            return web.Response(status=401, text="Sign in first: /login\n")
        return await handler(request)

    def _own_hosts(self, request: web.Request) -> set[str]:
        """The ``host:port`` of this server's pages: the one asked, or the public URL's."""
        hosts = {request.host.lower()}
        if self.fixed_public_url:
            hosts.add(urlsplit(self.fixed_public_url).netloc.lower())
        return hosts

    def _loopback_host(self, request: web.Request) -> bool:
        if is_loopback(host_name(request.host)):
            return True
        public = self.fixed_public_url
        return bool(public) and request.host.lower() == urlsplit(public).netloc.lower()

    def signed_in(self, request: web.Request) -> bool:
        token = request.cookies.get(COOKIE, "")
        started = self._sessions.get(token)
        if started is None:
            return False
        if time.monotonic() - started > SESSION_SECONDS:
            self._sessions.pop(token, None)
            return False
        return True

    async def handle_login_page(self, request: web.Request) -> web.Response:
        if self.password is None or self.signed_in(request):
            raise web.HTTPSeeOther("/")
        return self._login_page()

    async def handle_login(self, request: web.Request) -> web.Response:
        if self.password is None:
            raise web.HTTPSeeOther("/")
        form = await request.post()
        given = form.get("password")
        password = given if isinstance(given, str) else ""
        async with self._checking:  # one scrypt at a time: guesses queue, memory stays bounded
            right = await asyncio.to_thread(self.password.matches, password)
            if not right:
                await asyncio.sleep(WRONG_PASSWORD_PAUSE)
        if not right:
            logging.getLogger("zinv-tui").warning("wrong password from %s", request.remote)
            return self._login_page("Wrong password.", status=401)
        token = secrets.token_urlsafe(32)
        self._sessions[token] = time.monotonic()
        response = web.HTTPSeeOther("/")
        response.set_cookie(
            COOKIE, token, httponly=True, samesite="Strict", path="/", max_age=SESSION_SECONDS
        )
        raise response

    def _login_page(self, error: str = "", status: int = 200) -> web.Response:
        message = f'<p class="error" id="login-error">{html.escape(error)}</p>' if error else ""
        body = LOGIN_PAGE.format(title=html.escape(self.title), message=message)
        return web.Response(text=body, content_type="text/html", status=status)

    # ----------------------------------------------------------------- the page

    @aiohttp_jinja2.template("app_index.html")
    async def handle_index(self, request: web.Request) -> dict[str, Any]:
        """textual-serve's page, its URLs made from the address the browser used (a server bound
        to 0.0.0.0 is reached at the shop computer's own address)."""
        base = self.fixed_public_url or f"{request.scheme}://{request.host}"
        websocket = ("wss" if base.startswith("https") else "ws") + base[base.index(":") :]
        try:
            font_size = int(request.query.get("fontsize", "16"))
        except ValueError:
            font_size = 16
        return {
            "font_size": max(8, min(font_size, 48)),
            "app_websocket_url": f"{websocket}/ws",
            "config": {"static": {"url": f"{base}/static/"}},
            "application": {"name": self.title},
        }


async def end_tab(tab: AppService) -> None:
    """Ask a tab's app to quit, wait for its process (terminate it, then kill it, if it takes too
    long) and reap it."""
    process = tab._process  # textual-serve keeps it private and never waits for it
    if process is None or process.returncode is not None:
        return
    with contextlib.suppress(Exception):
        await asyncio.wait_for(tab.send_meta({"type": "quit"}), 2)
    for ending in (None, process.terminate, process.kill):
        if ending is not None:
            with contextlib.suppress(ProcessLookupError):
                ending()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait(), TAB_QUIT_SECONDS if ending is None else 5)
            return
