"""Fixtures of the CLI tests: every directory in tmp (never the real home), and a CLI runner."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from zinv_tui.cli import main


@dataclass
class ZinvDirs:
    """The directories one test uses, set through the ``ZINV_*_DIR`` overrides."""

    root: Path
    config: Path
    state: Path
    data: Path
    cache: Path
    env_file: Path

    @property
    def config_file(self) -> Path:
        return self.config / "config.toml"

    def write_config(self, text: str) -> Path:
        self.config.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(text, encoding="utf-8")
        return self.config_file


@pytest.fixture(autouse=True)
def zinv_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ZinvDirs]:
    """Point every zinv-tui directory and the ``.env`` file into ``tmp_path``; clear ``ZINV_*``."""
    for name in list(os.environ):
        if name.upper().startswith("ZINV_"):
            monkeypatch.delenv(name)
    dirs = ZinvDirs(
        root=tmp_path,
        config=tmp_path / "config",
        state=tmp_path / "state",
        data=tmp_path / "data",
        cache=tmp_path / "cache",
        env_file=tmp_path / "project.env",
    )
    monkeypatch.setenv("ZINV_CONFIG_DIR", str(dirs.config))
    monkeypatch.setenv("ZINV_STATE_DIR", str(dirs.state))
    monkeypatch.setenv("ZINV_DATA_DIR", str(dirs.data))
    monkeypatch.setenv("ZINV_CACHE_DIR", str(dirs.cache))
    monkeypatch.setenv("ZINV_ENV_FILE", str(dirs.env_file))
    yield dirs


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]):
    """Run ``zinv_tui.cli.main(argv)`` in-process; return its code and captured output."""

    def run(*argv: str) -> CliResult:
        capsys.readouterr()
        code = main(list(argv))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture
def use_sandbox(monkeypatch: pytest.MonkeyPatch):
    """``use_sandbox(info, generation=None)``: point the default profile at a sandbox (key and
    base URL from env; ``generation`` forces ``ZINV_API_VERSION``)."""

    def use(info, generation: str | None = None) -> None:
        monkeypatch.setenv("ZINV_API_KEY", info.api_key)
        monkeypatch.setenv("ZINV_BASE_URL", info.url)
        if generation is not None:
            monkeypatch.setenv("ZINV_API_VERSION", generation)

    return use


@pytest.fixture
def refused_port() -> Iterator[int]:
    """A loopback port where a connection is surely refused: bound (so nothing else can take it,
    as another worker's sandbox could take a port only found free) and never listening."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])
