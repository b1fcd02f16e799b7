"""Driving the real app in tests: a frozen ``ZinvApp`` on a service the test started (no mocks),
and Pilot helpers.

Keys cost time: Pilot waits for the app to go idle twice per key (about 60 ms a key), so a test
types key by key only where the keys are what it tests (a scanner's burst, editing order, focus
moving as one types). Elsewhere it gives a field its text at once (:func:`enter_text`) or runs the
action, which is what the keys would do.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from tests.support.clients import running_service
from zinv_tui.sandbox.server import SandboxInfo
from zinv_tui.service import InventoryService, RowKey, StockRow
from zinv_tui.ui.app import ZinvApp


@asynccontextmanager
async def shop(
    info: SandboxInfo,
    state_dir: Path,
    *,
    poll_interval: float = 60.0,
    generation: str | None = None,
) -> AsyncIterator[InventoryService]:
    """A started service on ``info`` (slow polling unless asked: tests refresh explicitly; one
    retry with a tiny backoff, so fault tests stay fast); ``generation`` forces v1 or v3."""
    async with running_service(
        info,
        state_dir,
        client_options={"max_retries": 1},
        poll_interval=poll_interval,
        generation=generation,
    ) as service:
        yield service


def screen_app(service: InventoryService, **options: Any) -> ZinvApp:
    """The real app, deterministic (``frozen``), on a service the test started."""
    return ZinvApp(service, manage_service=False, frozen=True, **options)


async def settle(pilot: Pilot[Any], rounds: int = 3) -> None:
    """Let messages, workers and timers of the app run."""
    for _ in range(rounds):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def send_one_read(app: Any, text: str) -> None:
    """Keys that arrive in one terminal read (a scanner's burst over SSH), parsed and sent as the
    driver does. They carry one moment, the read's: as a driver parses a read in one go, and so a
    slow or loaded machine cannot spread them over several (they were stamped one by one, between
    sends, and a pause of 40 ms made a scanned code look typed)."""
    from textual._xterm_parser import XTermParser

    events = list(XTermParser().feed(text))
    moment = events[0].time if events else 0.0
    for event in events:
        event.time = moment
        event.set_sender(app)
        app._driver.send_message(event)


def screen_text(app: Any) -> list[str]:
    """The lines on screen as the user reads them (no colours)."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def type_text(pilot: Pilot[Any], text: str) -> None:
    """Type ``text`` key by key, as a person or a barcode scanner would (only where the keys are
    what the test is about: see :func:`enter_text`)."""
    await pilot.press(*[_key_name(char) for char in text])


async def enter_text(pilot: Pilot[Any], field: Input, text: str, *, submit: bool = False) -> None:
    """Give ``field`` the focus and ``text`` at once (what typing it leaves there: ``Changed`` is
    posted), then with ``submit`` what Enter does in a plain field (``Submitted``)."""
    field.focus()
    field.value = text
    field.cursor_position = len(text)
    if submit:
        field.post_message(Input.Submitted(field, field.value))
    await settle(pilot, rounds=1)


def _key_name(char: str) -> str:
    names = {" ": "space", "/": "slash", "-": "minus", ".": "full_stop", "?": "question_mark"}
    return names.get(char, char)


def pick_row(
    service: InventoryService,
    *,
    minimum: int = 3,
    with_barcode: bool = False,
    exclude: Iterable[RowKey] = (),
) -> StockRow:
    """A stable choice of a tracked row with at least ``minimum`` in stock (by SKU order)."""
    excluded = set(exclude)
    rows = sorted(service.rows.values(), key=lambda row: (row.sku, row.variant_uuid))
    for row in rows:
        if row.key in excluded or row.shown_balance < minimum:
            continue
        if with_barcode and not row.barcode:
            continue
        if "[" in row.product_name:
            continue
        return row
    raise AssertionError("no suitable row in the demo shop")
