"""The door of ``zinv-tui serve``: nothing of the app (not its page, not its websocket, so no app
process) without the password; a wrong password refused; only this server's pages may open the
websocket; loopback serving answers loopback names only. Real HTTP on loopback (aiohttp's test
server around the real routes)."""

from __future__ import annotations

import asyncio
import shlex
import sys
from pathlib import Path

import pytest
from aiohttp import WSServerHandshakeError
from aiohttp.test_utils import TestClient, TestServer

from zinv_tui.serve.password import PasswordHash
from zinv_tui.serve.web import COOKIE, ZinvServer

pytestmark = pytest.mark.timeout(60)

PASSWORD = "till-roll-42"


def marker_command(marker: Path) -> str:
    """An "app" that only leaves a file behind: proof that an app process was started."""
    script = f"open({str(marker)!r}, 'w').write('started')"
    return shlex.join([sys.executable, "-c", script])


async def client_for(server: ZinvServer) -> TestClient:
    client = TestClient(TestServer(await server._make_app(), host="127.0.0.1"))
    await client.start_server()
    return client


async def test_no_app_process_before_the_password_and_a_wrong_one_is_refused(tmp_path):
    marker = tmp_path / "app-started"
    server = ZinvServer(
        marker_command(marker), host="0.0.0.0", port=0, password=PasswordHash.new(PASSWORD)
    )
    client = await client_for(server)
    try:
        page = await client.get("/", allow_redirects=False)
        assert page.status == 303 and page.headers["Location"] == "/login"
        for path in ("/static/js/textual.js", "/download/abc"):
            assert (await client.get(path)).status == 401
        with pytest.raises(WSServerHandshakeError) as refused:
            await client.ws_connect("/ws")
        assert refused.value.status == 401
        wrong = await client.post("/login", data={"password": "till-roll-41"})
        assert wrong.status == 401 and "Wrong password" in await wrong.text()
        assert COOKIE not in {cookie.key for cookie in client.session.cookie_jar}
        assert not marker.exists()  # no process was started for a stranger

        right = await client.post("/login", data={"password": PASSWORD}, allow_redirects=False)
        assert right.status == 303 and right.headers["Location"] == "/"
        cookie = right.cookies[COOKIE]
        assert cookie["httponly"] and cookie["samesite"] == "Strict"
        page = await client.get("/")
        html = await page.text()
        assert page.status == 200 and f"ws://{client.host}:{client.port}/ws" in html
        assert "googleapis" not in html  # nothing is fetched from the internet

        foreign = {"Origin": "http://evil.example"}
        with pytest.raises(WSServerHandshakeError) as cross_site:
            await client.ws_connect("/ws", headers=foreign)
        assert cross_site.value.status == 403
        own = {"Origin": f"http://{client.host}:{client.port}"}
        socket = await client.ws_connect("/ws", headers=own)
        for _ in range(200):
            if marker.exists():
                break
            await asyncio.sleep(0.05)
        assert marker.exists()  # signed in: the app process starts
        await socket.close()
        await asyncio.sleep(0.3)  # the server's handler stops its app service and reaps it
    finally:
        await client.close()


async def test_serving_this_computer_only_answers_loopback_names(tmp_path):
    server = ZinvServer(marker_command(tmp_path / "m"), host="127.0.0.1", port=0, password=None)
    client = await client_for(server)
    try:
        assert (await client.get("/")).status == 200  # no password: this computer only
        rebound = await client.get("/", headers={"Host": f"evil.example:{client.port}"})
        assert rebound.status == 403
        assert (await client.get("/", headers={"Host": f"localhost:{client.port}"})).status == 200
    finally:
        await client.close()
