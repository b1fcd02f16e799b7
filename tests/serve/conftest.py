"""Fixtures of the serve tests: every zinv-tui directory in tmp (never the real home)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def serve_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Path]]:
    """Point every zinv-tui directory and the ``.env`` file into ``tmp_path``; clear ``ZINV_*``."""
    for name in list(os.environ):
        if name.upper().startswith("ZINV_"):
            monkeypatch.delenv(name)
    dirs = {kind: tmp_path / kind for kind in ("config", "state", "data", "cache")}
    for kind, path in dirs.items():
        monkeypatch.setenv(f"ZINV_{kind.upper()}_DIR", str(path))
    monkeypatch.setenv("ZINV_ENV_FILE", str(tmp_path / "project.env"))
    yield dirs


@pytest.fixture
def child_env(serve_dirs: dict[str, Path]) -> dict[str, str]:
    """The environment of a child ``zinv-tui`` process: these directories, no other ZINV_*."""
    return {key: value for key, value in os.environ.items() if key != "TEXTUAL_DRIVER"}
