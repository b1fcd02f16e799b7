"""Quantities: one limit for a person's entry, and Zettle's cap per movement line handled by the
backend (a large movement goes as several lines of one request, applied together)."""

from __future__ import annotations

import pytest

from tests.support.clients import running_service
from tests.support.sandbox import SandboxAdmin
from zinv_tui.service import MAX_QUANTITY, MovementIntent, OutboxStatus, Reason, parse_quantity
from zinv_tui.service.backend import MOVEMENT_LINE_MAX, movement_lines
from zinv_tui.ui.screens.quantities import QuantityError, read_quantity

pytestmark = pytest.mark.timeout(60)


def test_the_entry_limit_is_one_rule_for_the_service_and_the_screens() -> None:
    assert parse_quantity(str(MAX_QUANTITY)) == read_quantity(str(MAX_QUANTITY)) == MAX_QUANTITY
    with pytest.raises(ValueError, match="is that a typo"):
        parse_quantity(str(MAX_QUANTITY + 1))
    with pytest.raises(QuantityError, match=f"{MAX_QUANTITY:,}"):
        read_quantity(str(MAX_QUANTITY + 1))


def test_movement_lines_stay_under_zettles_cap() -> None:
    assert movement_lines(5) == [5]
    assert movement_lines(MOVEMENT_LINE_MAX) == [MOVEMENT_LINE_MAX]
    assert movement_lines(150_000) == [MOVEMENT_LINE_MAX, 150_000 - MOVEMENT_LINE_MAX]
    assert sum(movement_lines(MAX_QUANTITY)) == MAX_QUANTITY
    assert max(movement_lines(MAX_QUANTITY)) == MOVEMENT_LINE_MAX
    with pytest.raises(ValueError):
        movement_lines(0)


async def test_a_movement_above_the_line_cap_is_applied_whole(sandbox_factory, tmp_path) -> None:
    info = sandbox_factory(products=5)
    async with running_service(info, tmp_path) as service:
        key = next(iter(service.rows))
        before = SandboxAdmin(info).store_balances().get(key, 0)
        (entry,) = await service.record([MovementIntent(Reason.RESTOCK, key, quantity=150_000)])
        assert await service.flush(10)
        entry = service.journal.entry(entry.id)
        assert entry.status is OutboxStatus.ACKNOWLEDGED
        lines = [m for m in SandboxAdmin(info).ledger() if m["externalUuid"] == entry.sent_as]
        assert sorted(m["change"] for m in lines) == [
            150_000 - MOVEMENT_LINE_MAX,
            MOVEMENT_LINE_MAX,
        ]
        assert SandboxAdmin(info).store_balances()[key] == before + 150_000
        assert service.rows[key].shown_balance == before + 150_000
