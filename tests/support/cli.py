"""Running the CLI in-process against a sandbox, in its own directories (never the real home)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from zinv_tui.cli import main as cli_main
from zinv_tui.sandbox.server import SandboxInfo

DIRS = ("config", "state", "data", "cache")


def sandbox_env(info: SandboxInfo, folder: Path, generation: str | None = None) -> dict[str, str]:
    """The environment that points the default profile at ``info``, with every directory (and
    the ``.env`` file) under ``folder``; ``generation`` forces ``ZINV_API_VERSION``."""
    forced = {} if generation is None else {"ZINV_API_VERSION": generation}
    return {
        "ZINV_API_KEY": info.api_key,
        "ZINV_BASE_URL": info.url,
        **{f"ZINV_{name.upper()}_DIR": str(folder / name) for name in DIRS},
        "ZINV_ENV_FILE": str(folder / "none.env"),
        **forced,
    }


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """``os.environ`` with ``values`` set, restored afterwards."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def cli_json(
    info: SandboxInfo,
    folder: Path,
    capsys: pytest.CaptureFixture[str],
    *argv: str,
    generation: str | None = None,
) -> Any:
    """``zinv-tui <argv> --format json`` against ``info`` (``generation`` forced if given): the
    parsed output. Call it in a thread from an async test (``asyncio.to_thread``): the CLI runs
    its own event loop."""
    with environment(sandbox_env(info, folder, generation)):
        capsys.readouterr()
        code = cli_main([*argv, "--format", "json"])
        out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)
