"""The client loads httpx without its command-line client (click, rich, pygments: ~5 MB)."""

from __future__ import annotations

import subprocess
import sys

import pytest

_PROBE = """
import sys
import zinv_tui.api
import httpx
loaded = sorted(name for name in ("click", "rich", "pygments") if name in sys.modules)
assert not loaded, loaded
assert "httpx._main" not in sys.modules
import httpx._main  # an explicit import still gets the real module
assert callable(httpx._main.main)
assert "click" in sys.modules
print("ok")
"""


@pytest.mark.timeout(60)
def test_importing_the_client_does_not_load_httpx_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
