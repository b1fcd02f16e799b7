"""What ``api_version = auto`` remembers per profile, and what it forgets (no network here; the
probing is tested against the sandbox in tests/service/test_v3_sandbox.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from zinv_tui.api.generations import Choice, remember, remembered

URL = "https://inventory.izettle.com"


def test_a_choice_is_remembered_for_its_inventory_url_only(tmp_path: Path) -> None:
    memory = tmp_path / "cache" / "api_generation.json"
    assert remembered(memory, URL) is None
    at = datetime(2026, 11, 30, 11, 40, tzinfo=UTC)
    remember(memory, URL, Choice("v3", "probed", at, ("v3",)))
    again = remembered(memory, URL)
    assert again == Choice("v3", "remembered", at, ("v3",))
    assert again.describe() == (
        "v3 (auto: remembered, probed at 2026-11-30 11:40 UTC; answers v3 only)"
    )
    assert remembered(memory, "http://127.0.0.1:9999") is None  # another server: probe again


def test_a_damaged_memory_is_forgotten(tmp_path: Path) -> None:
    memory = tmp_path / "api_generation.json"
    for text in ("", "{", json.dumps({"generation": "v9", "inventory_url": URL}), "[1]"):
        memory.write_text(text)
        assert remembered(memory, URL) is None
