"""Import httpx without loading its command-line client.

``import httpx`` runs ``from ._main import main``, which pulls in click, rich and pygments for the
``httpx`` console command: about 5 MB of resident memory and 50 ms at start-up that this app never
uses. :func:`import_httpx_without_cli` loads httpx with a stand-in for ``httpx._main`` whose
``main`` loads the real command-line client on first call, so nothing is lost; the stand-in is
removed from ``sys.modules`` at once, so an explicit ``import httpx._main`` still gets the real
module. It does nothing when httpx is already imported.

It patches an import for the whole process, so only the program's entry point calls it
(:func:`zinv_tui.tuning.tune_process`); importing this module changes nothing.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

_CLI_MODULE = "httpx._main"


def _real_cli_main(*args: Any, **kwargs: Any) -> Any:
    """httpx's ``main``, imported on first use."""
    return importlib.import_module(_CLI_MODULE).main(*args, **kwargs)


def import_httpx_without_cli() -> None:
    """Import httpx with a lazy stand-in for its command-line module (see the module doc)."""
    if "httpx" in sys.modules or _CLI_MODULE in sys.modules:
        return
    stand_in = types.ModuleType(_CLI_MODULE, "Loads httpx's command-line client on first use.")
    stand_in.main = _real_cli_main  # type: ignore[attr-defined]
    sys.modules[_CLI_MODULE] = stand_in
    try:
        import httpx  # noqa: F401
    finally:
        if sys.modules.get(_CLI_MODULE) is stand_in:
            del sys.modules[_CLI_MODULE]
