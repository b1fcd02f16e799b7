"""Process-wide tuning happens only at the program's entry point, never on import or start.

Each check runs in a fresh interpreter: what is measured is the whole process's state.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.timeout(60)


def run(probe: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", probe, *args], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


_UNTOUCHED = """
import asyncio, gc, sys
thresholds = gc.get_threshold()
from zinv_tui.service import heap

calls = []
if heap._mallopt is not None:  # record whether anything pins glibc's mmap threshold
    real = heap._mallopt
    heap._mallopt = lambda *args: calls.append(args) or real(*args)

import zinv_tui, zinv_tui.api, zinv_tui.service, zinv_tui.build, zinv_tui.tuning, zinv_tui.ui.app
import httpx
from zinv_tui.build import ShopAccess, open_inventory
from zinv_tui.sandbox.server import SandboxConfig, SandboxServer

async def main(folder):
    with SandboxServer(SandboxConfig(products=5)) as info:
        service = open_inventory(ShopAccess.local(info.url, info.api_key), state_dir=folder)
        await service.start(require_load=True)
        await service.refresh(full=True)
        await service.stop()

asyncio.run(main(sys.argv[1]))
assert httpx.main.__module__ != "zinv_tui.api.httpx_without_cli", "httpx was patched"
assert gc.get_freeze_count() == 0, "objects were frozen"
assert gc.get_threshold() == thresholds, "the collector's thresholds changed"
assert not calls, calls
assert not heap._releasing, "free memory is handed back to the OS"
assert not zinv_tui.tuning.process_tuned()
print("ok")
"""


def test_importing_the_package_or_running_a_service_changes_nothing_process_wide(
    tmp_path,
) -> None:
    assert run(_UNTOUCHED, str(tmp_path)) == "ok"


_TUNED_HTTPX = """
import sys
from zinv_tui.tuning import tune_process
tune_process()
import zinv_tui.api.client
import httpx
loaded = sorted(name for name in ("click", "rich", "pygments") if name in sys.modules)
assert not loaded, loaded
assert "httpx._main" not in sys.modules
import httpx._main  # an explicit import still gets the real module
assert callable(httpx._main.main)
assert "click" in sys.modules
print("ok")
"""


def test_the_tuned_program_loads_httpx_without_its_cli() -> None:
    assert run(_TUNED_HTTPX) == "ok"


_FREEZE = """
import gc, weakref
from zinv_tui.tuning import START_THRESHOLD, freeze_after_load, tune_process

class Node:
    pass

def garbage():
    a, b = Node(), Node()
    a.other, b.other = b, a  # a cycle: only the cyclic collector frees it
    return weakref.ref(a)

usual = gc.get_threshold()
assert not freeze_after_load()  # not tuned: nothing happens
assert gc.get_freeze_count() == 0
tune_process()
assert gc.get_threshold()[0] == START_THRESHOLD > usual[0]  # the start is collected rarely
gc.disable()
dead = garbage()
assert dead() is not None
assert freeze_after_load()
assert dead() is None, "garbage was frozen with the live objects"
assert gc.get_freeze_count() > 0
assert gc.get_threshold() == usual  # ... and the loaded app as usual
print("ok")
"""


def test_the_freeze_after_load_collects_everything_first() -> None:
    assert run(_FREEZE) == "ok"


_ENTRY = """
import sys
import zinv_tui.cli as cli
from zinv_tui import tuning

seen = []
cli.main = lambda argv=None: seen.append(tuning.process_tuned()) or 0
assert cli.entry() == 0 and seen == [True]
print("ok")
"""


def test_the_entry_point_tunes_the_process_before_running_the_command() -> None:
    assert run(_ENTRY) == "ok"


_PROGRAM = """
import sys
from zinv_tui import program, tuning

seen = []

class Imported:
    def find_spec(self, name, path=None, target=None):
        if name == "zinv_tui.cli":
            seen.append(tuning.process_tuned())
        return None

sys.meta_path.insert(0, Imported())
sys.argv = ["zinv-tui", "--version"]
try:
    program.entry()
except SystemExit:
    pass
assert seen == [True], seen  # tuned before the command line was imported
print("ok")
"""


def test_the_program_is_tuned_before_its_command_line_is_imported() -> None:
    assert run(_PROGRAM).splitlines()[-1] == "ok"
