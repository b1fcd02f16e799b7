"""``api_version`` (auto | v1 | v3) from the command line, against sandboxes that answer only one
generation: auto probes once and remembers, probes again when the remembered one answers 404,
and a forced generation the server does not answer fails with a clear message."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support.clients import GENERATIONS

pytestmark = pytest.mark.timeout(60)


def memory_of(zinv_dirs) -> Path:
    return zinv_dirs.cache / "profiles" / "default" / "api_generation.json"


@pytest.mark.parametrize("api", ["v1", "v3"])
def test_auto_picks_the_generation_the_sandbox_answers_and_remembers_it(
    sandbox_factory, use_sandbox, run_cli, zinv_dirs, api
):
    info = sandbox_factory(api=api, products=6)
    use_sandbox(info)
    result = run_cli("doctor")
    assert f"OK    api generation: Inventory API {api} (auto: probed at " in result.out
    assert f"; answers {api} only)" in result.out
    assert "OK    inventory: 4 places readable (" in result.out
    assert json.loads(memory_of(zinv_dirs).read_text())["generation"] == api
    again = run_cli("doctor")
    assert f"api generation: Inventory API {api} (auto: remembered, probed at " in again.out
    shown = run_cli("config", "--format", "json")
    (row,) = [r for r in json.loads(shown.out) if r["setting"] == "api_generation"]
    assert row["value"].startswith(f"{api} (auto: remembered, probed at ")
    balances = run_cli("balances", "--format", "json")
    assert balances.code == 0, balances.err
    assert json.loads(balances.out)


def test_auto_probes_again_when_the_remembered_generation_answers_404(
    sandbox_factory, use_sandbox, run_cli, zinv_dirs
):
    info = sandbox_factory(api="v3", products=6)
    use_sandbox(info)
    memory = memory_of(zinv_dirs)
    memory.parent.mkdir(parents=True)
    long_ago = datetime(2025, 1, 1, tzinfo=UTC)
    memory.write_text(
        json.dumps(
            {"generation": "v1", "inventory_url": info.url, "probed_at": long_ago.isoformat()}
        )
    )
    result = run_cli("balances", "--format", "json")
    assert result.code == 0, result.err
    assert json.loads(result.out)
    kept = json.loads(memory.read_text())
    assert kept["generation"] == "v3"
    assert datetime.fromisoformat(kept["probed_at"]) > long_ago


def test_a_forced_generation_the_server_does_not_answer_fails_clearly(
    sandbox_factory, use_sandbox, run_cli
):
    info = sandbox_factory(api="v3", products=4)
    use_sandbox(info)
    result = run_cli("balances", "--api-version", "v1")
    assert result.code == 1
    assert "Zettle does not answer Inventory API v1 here" in result.err
    assert "--api-version" in result.err and "Traceback" not in result.err + result.out
    doctor = run_cli("doctor", "--api-version", "v1")
    assert doctor.code == 1
    assert "FAIL  api generation: Zettle does not answer Inventory API v1 here" in doctor.out
    assert "fix: set api_version to auto" in doctor.out
    forced = run_cli("doctor", "--api-version", "v3")
    assert forced.code == 0, forced.out
    assert "api generation: Inventory API v3 (forced by flag --api-version)" in forced.out


def test_a_bad_api_version_is_a_usage_error(run_cli, monkeypatch):
    monkeypatch.setenv("ZINV_API_VERSION", "v2")
    result = run_cli("config")
    assert result.code == 2
    assert 'env ZINV_API_VERSION = "v2": must be auto, v1 or v3' in result.err
    monkeypatch.delenv("ZINV_API_VERSION")
    result = run_cli("balances", "--api-version", "latest")
    assert result.code == 2
    assert "must be auto, v1 or v3" in result.err


def test_a_v1_only_and_a_v3_only_sandbox_with_one_seed_give_the_same_balances(
    sandbox_factory, monkeypatch, run_cli
):
    seen = []
    for api in ("v1", "v3"):
        info = sandbox_factory(api=api, products=15, seed=5)
        monkeypatch.setenv("ZINV_API_KEY", info.api_key)
        result = run_cli("balances", "--format", "json", "--base-url", info.url)
        assert result.code == 0, result.err
        seen.append(
            sorted(
                # v3 reads levels from stock rows, and lists a row only once a variant's stock
                # moved: a level on a variant that never had stock is not readable there.
                (r["variant_uuid"], r["balance"], r["low_stock_level"] if r["balance"] else None)
                for r in json.loads(result.out)
            )
        )
    assert seen[0] == seen[1] and len(seen[0]) > 20


def test_a_v1_only_and_a_v3_only_sandbox_with_the_same_seed_agree(
    sandbox_factory, use_sandbox, run_cli, zinv_dirs, monkeypatch
):
    seen: dict[str, tuple[list, list]] = {}
    for api in GENERATIONS:
        info = sandbox_factory(api=api, products=30, seed=8)
        use_sandbox(info, api)
        for name in ("state", "cache", "data"):  # nothing carried from one run to the other
            monkeypatch.setenv(f"ZINV_{name.upper()}_DIR", str(zinv_dirs.root / api / name))
        balances = run_cli("balances", "--format", "json")
        low = run_cli("low-stock", "--format", "json")
        assert balances.code == low.code == 0, balances.err + low.err
        seen[api] = json.loads(balances.out), json.loads(low.out)
    (v1_rows, v1_low), (v3_rows, v3_low) = seen["v1"], seen["v3"]
    assert len(v1_rows) > 30 and v1_low
    # Where v3 legitimately differs: it lists a stock row (which carries the low-stock level) only
    # once a variant's stock has moved, so a level set on a never-moved variant (balance 0) is
    # not seen on v3. Every other field of every row agrees.
    unseen = {
        row["variant_uuid"]
        for row in v1_rows
        if row["balance"] == 0 and row["low_stock_level"] is not None
    }
    assert unseen, "the seed has levels on never-moved variants (the difference is exercised)"
    assert [without_level(row, unseen) for row in v3_rows] == [
        without_level(row, unseen) for row in v1_rows
    ]
    assert all(row["low_stock_level"] is None for row in v3_rows if row["variant_uuid"] in unseen)
    # The low-stock list (sorted by how far short, which the level decides) has the same rows.
    assert by_variant(v3_low, unseen) == by_variant(v1_low, unseen)


def by_variant(rows: list[dict], unseen: set[str]) -> dict[str, dict]:
    return {row["variant_uuid"]: without_level(row, unseen) for row in rows}


def without_level(row: dict, unseen: set[str]) -> dict:
    """``row`` with its low-stock fields dropped when it is a never-moved variant's."""
    if row["variant_uuid"] not in unseen:
        return row
    return {key: value for key, value in row.items() if key not in LEVEL_FIELDS}


LEVEL_FIELDS = frozenset({"low_stock_level", "short_by", "alert"})
"""The fields of a row that its low-stock setting decides."""
