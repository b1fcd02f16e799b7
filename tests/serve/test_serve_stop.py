"""``zinv-tui serve`` stopped (Ctrl+C, SIGTERM) while tabs are open: every tab's app process is
stopped and reaped, and nothing but its own lines reaches the terminal (no traceback, no asyncio
noise about closed loops)."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

pytestmark = pytest.mark.timeout(120)


def _children(pid: int) -> set[int]:
    """Every process below ``pid`` (read from /proc)."""
    found: set[int] = set()
    parents = {pid}
    while parents:
        below: set[int] = set()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent in parents and int(entry.name) not in found:
                below.add(int(entry.name))
        found |= below
        parents = below
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_serve(port: int, env: dict[str, str], out: Path, err: Path) -> subprocess.Popen[bytes]:
    """``zinv-tui serve --demo`` on ``port`` (a small shop, no sales), its output in files."""
    command = [sys.executable, "-m", "zinv_tui", "serve", "--demo", "--port", str(port)]
    command += ["--products", "20", "--sales-per-minute", "0", "--history-days", "0"]
    with out.open("wb") as stdout, err.open("wb") as stderr:
        return subprocess.Popen(command, env=env, stdout=stdout, stderr=stderr)


def _alive(pids: set[int]) -> set[int]:
    return {pid for pid in pids if Path(f"/proc/{pid}").exists()}


async def _open_tab(url: str) -> tuple[aiohttp.ClientSession, aiohttp.ClientWebSocketResponse]:
    """A browser tab's websocket, once its app has drawn something."""
    session = aiohttp.ClientSession()
    tab = await session.ws_connect(f"{url}/ws?width=80&height=24", origin=url)
    drawn = bytearray()
    while b"Who is working" not in drawn:
        message = await asyncio.wait_for(tab.receive(), 30)
        if message.type is not aiohttp.WSMsgType.BINARY:
            raise AssertionError(f"the tab's app never drew its first screen: {message}")
        drawn += message.data
    return session, tab


@pytest.mark.skipif(sys.platform == "win32", reason="signals and /proc")
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
async def test_stopping_serve_with_tabs_open_is_quiet_and_leaves_no_process(
    child_env, tmp_path, stop
):
    port = _free_port()
    out, err = tmp_path / "serve.out", tmp_path / "serve.err"
    process = _start_serve(port, child_env, out, err)
    url = f"http://127.0.0.1:{port}"
    tabs = []
    try:
        for _ in range(600):
            if "on http://" in out.read_text() or process.poll() is not None:
                break
            await asyncio.sleep(0.1)
        assert process.poll() is None, err.read_text()
        tabs = [await _open_tab(url) for _ in range(2)]
        apps = _children(process.pid)
        assert apps
        process.send_signal(stop)
        code = await asyncio.to_thread(process.wait, 30)
    finally:
        for session, tab in tabs:
            await tab.close()
            await session.close()
        if process.poll() is None:
            process.kill()
            process.wait(10)
    said = err.read_text() + out.read_text()
    assert code == 0, said
    for noise in ("Traceback", "Exception ignored", "Event loop is closed", "Loop <", "Error"):
        assert noise not in said, said
    assert not _alive(apps), "an app process was left"
