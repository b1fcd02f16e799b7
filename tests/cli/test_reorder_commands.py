"""``zinv-tui reorder`` and ``zinv-tui value`` against a sandbox with sales history."""

from __future__ import annotations

import csv
import io
import json

import httpx
import pytest

from tests.support.sandbox import SandboxAdmin
from zinv_tui.sandbox.server import SandboxConfig, SandboxServer

pytestmark = pytest.mark.timeout(120)

REQUIRED_KEYS = {
    "sku",
    "variant_uuid",
    "name",
    "balance",
    "per_day",
    "days_of_cover",
    "on_order",
    "suggested",
    "pack_size",
}


@pytest.fixture(scope="module")
def cafe():
    with SandboxServer(SandboxConfig(products=60, history_days=30)) as info:
        yield info


def test_reorder_lists_what_to_order_most_urgent_first(cafe, use_sandbox, run_cli) -> None:
    use_sandbox(cafe)
    result = run_cli("reorder", "--format", "json")
    assert result.code == 0, result.err
    lines = json.loads(result.out)
    assert lines and all(line.keys() >= REQUIRED_KEYS for line in lines)
    assert all(line["suggested"] > 0 or line["status"] in ("out", "order") for line in lines)
    urgent = [line for line in lines if line["status"] in ("out", "order")]
    assert lines[: len(urgent)] == urgent
    covers = [line["days_of_cover"] for line in urgent if line["days_of_cover"] is not None]
    assert covers == sorted(covers)
    everything = run_cli("reorder", "--all", "--format", "csv", "--offline")
    assert everything.code == 0, everything.err
    rows = list(csv.DictReader(io.StringIO(everything.out)))
    assert len(rows) > len(lines) and set(rows[0]) >= REQUIRED_KEYS
    table = run_cli("reorder", "--offline", "--days", "14", "--lead-time", "3", "--cover", "7")
    assert table.code == 0, table.err
    assert table.out.splitlines()[0].split()[:3] == ["SKU", "NAME", "BALANCE"]


def test_a_longer_lead_time_never_suggests_less(cafe, use_sandbox, run_cli) -> None:
    use_sandbox(cafe)
    short = json.loads(run_cli("reorder", "--all", "--format", "json").out)
    long = json.loads(run_cli("reorder", "--all", "--format", "json", "--offline",
                              "--lead-time", "14").out)  # fmt: skip
    by_variant = {line["variant_uuid"]: line for line in short}
    assert all(line["suggested"] >= by_variant[line["variant_uuid"]]["suggested"] for line in long)
    assert sum(line["suggested"] for line in long) > sum(line["suggested"] for line in short)


def test_without_read_purchase_reorder_explains_and_the_rest_works(
    cafe, use_sandbox, run_cli, monkeypatch
) -> None:
    use_sandbox(cafe)
    monkeypatch.setenv(
        "ZINV_API_KEY", SandboxAdmin(cafe).new_key(["READ:PRODUCT", "WRITE:PRODUCT"])
    )
    result = run_cli("reorder")
    assert result.code == 3
    assert "READ:PURCHASE" in result.err and "my.zettle.com/apps/api-keys" in result.err
    assert "Traceback" not in result.err
    assert run_cli("balances", "--format", "json").code == 0
    doctor = run_cli("doctor")
    assert doctor.code == 0, doctor.out + doctor.err
    assert "WARN  sales history: no READ:PURCHASE scope" in doctor.out


def test_doctor_reads_the_sales_history_when_the_key_may(cafe, use_sandbox, run_cli) -> None:
    use_sandbox(cafe)
    doctor = run_cli("doctor")
    assert doctor.code == 0, doctor.out + doctor.err
    assert "OK    sales history: purchases readable" in doctor.out


def test_value_is_on_hand_times_catalogue_cost_with_a_total(cafe, use_sandbox, run_cli) -> None:
    use_sandbox(cafe)
    result = run_cli("value", "--format", "json")
    assert result.code == 0, result.err
    rows = json.loads(result.out)
    *lines, total = rows
    assert total["name"] == "TOTAL" and total["currency"] == "GBP"
    catalogue = {}
    token = httpx.post(
        f"{cafe.url}/token",
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "client_id": cafe.client_id,
            "assertion": cafe.api_key,
        },
    ).json()["access_token"]
    for product in httpx.get(
        f"{cafe.url}/organizations/self/products/v2",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ).json():
        for variant in product["variants"]:
            catalogue[variant["uuid"]] = variant["costPrice"]["amount"]
    cents = 0
    for line in lines:
        cost = catalogue[line["variant_uuid"]]
        assert line["unit_cost"] == f"{cost // 100}.{cost % 100:02d}"
        value = max(0, line["balance"]) * cost
        assert line["value"] == f"{value // 100}.{value % 100:02d}"
        cents += value
    assert total["value"] == f"{cents // 100}.{cents % 100:02d}"


@pytest.mark.parametrize("flags", [["--days", "0"], ["--lead-time", "-1"], ["--cover", "x"]])
def test_bad_reorder_flags_are_usage_errors(run_cli, flags) -> None:
    assert run_cli("reorder", *flags).code == 2


def test_offline_without_history_says_so(cafe, use_sandbox, run_cli) -> None:
    use_sandbox(cafe)
    result = run_cli("reorder", "--offline", "--all", "--format", "json")
    assert result.code == 0
    assert "no sales history yet" in result.err
    assert all(line["per_day"] == 0 for line in json.loads(result.out))
