"""A command's time limit (``--timeout``, :mod:`zinv_tui.commands.context`): the client's own
pacing under Zettle's rate limit moves it on, for every enclosing limit."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from zinv_tui.commands import context
from zinv_tui.commands.context import limit_calls, within


class RecordingBackend:
    """Takes deadlines as a backend does, and keeps the last ``extended`` hook."""

    def __init__(self) -> None:
        self.deadlines: list[float | None] = []
        self.extended: Any = None

    def set_deadline(self, seconds: float | None, extended: Any = None) -> None:
        self.deadlines.append(seconds)
        self.extended = extended


async def test_a_commands_time_limits_move_on_with_the_clients_pacing() -> None:
    settings: Any = SimpleNamespace(profile=SimpleNamespace(timeout=1.0))
    backend = RecordingBackend()
    # A move: the whole command (loading, then its sending wait), and the load inside it.
    async with within(settings, extra=5.0), within(settings):
        limits = context._LIMITS.get()
        before = [limit.when() for limit in limits]
        limit_calls(backend, 1.0)
        backend.extended(0.75)  # the client kept its pace for 0.75 s
        assert [limit.when() for limit in limits] == pytest.approx([when + 0.75 for when in before])
        limit_calls(backend, None)
    assert backend.deadlines == [1.0, None]
    assert context._LIMITS.get() == ()


async def test_past_its_time_limit_a_command_ends_with_exit_4() -> None:
    settings: Any = SimpleNamespace(profile=SimpleNamespace(timeout=1.0))
    with pytest.raises(context.CommandError, match="time limit, from --timeout 1") as caught:
        async with within(settings, extra=-1.4):  # 1 s - 1.4 s + the 0.5 s margin: 0.1 s
            await asyncio.Event().wait()
    assert caught.value.code is context.ExitCode.NETWORK
