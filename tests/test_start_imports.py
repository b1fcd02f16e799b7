"""What loads before the app's first paint (issue 12: nothing heavy before it).

A launch imports the command line, the TUI's entry, the composition root and the app; the modules
of other screens and commands (counts, the reorder desk, purchase orders, exports...) load when
first used. A fresh interpreter imports what a launch does and lists ``sys.modules``.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import zinv_tui.service

_LAUNCH_IMPORTS = """
import json, sys
from zinv_tui.tuning import tune_process
tune_process()
import zinv_tui.cli
zinv_tui.cli.build_parser()
from zinv_tui.ui.launch import run_app, run_demo
import zinv_tui.build
import zinv_tui.ui.app
print(json.dumps(sorted(sys.modules)))
"""

NOT_BEFORE_THE_FIRST_PAINT = (
    "zinv_tui.service.counts",
    "zinv_tui.service.count_store",
    "zinv_tui.service.reorder_desk",
    "zinv_tui.service.reorder_db",
    "zinv_tui.service.item_detail",
    "zinv_tui.service.purchase_orders",
    "zinv_tui.service.receiving",
    "zinv_tui.service.sales_history",
    "zinv_tui.service.stock_value",
    "zinv_tui.sandbox",
    "zinv_tui.serve.web",
    "click",
)
"""Modules a launch must not import before it paints (each adds to every start)."""


def test_a_launch_imports_nothing_the_first_paint_does_not_need() -> None:
    found = subprocess.run(
        [sys.executable, "-c", _LAUNCH_IMPORTS], capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(found.stdout))
    assert "zinv_tui.ui.app" in loaded and "zinv_tui.service.inventory" in loaded
    early = [name for name in NOT_BEFORE_THE_FIRST_PAINT if name in loaded]
    assert not early, f"imported before the first paint: {early}"


def _names_imported_for_type_checkers() -> dict[str, tuple[str, ...]]:
    """``zinv_tui/service/__init__.py``'s ``if TYPE_CHECKING:`` imports, by module."""
    tree = ast.parse(Path(zinv_tui.service.__file__).read_text(encoding="utf-8"))
    block = next(node for node in tree.body if isinstance(node, ast.If))
    return {
        str(node.module): tuple(alias.name for alias in node.names)
        for node in block.body
        if isinstance(node, ast.ImportFrom)
    }


def test_the_service_package_exports_each_name_from_its_module_when_first_used() -> None:
    exports = zinv_tui.service._EXPORTS
    assert exports == _names_imported_for_type_checkers()
    names = sorted(name for names in exports.values() for name in names)
    assert names == sorted(zinv_tui.service.__all__)
    for module, module_names in exports.items():
        for name in module_names:
            value = getattr(zinv_tui.service, name)
            assert value is getattr(sys.modules[module], name)
    with pytest.raises(AttributeError):
        zinv_tui.service.NoSuchName  # type: ignore[attr-defined]  # noqa: B018


_MODULE_FIRST = """
import sys
import zinv_tui.service.reorder_desk  # the module first, the package's name for it after
from zinv_tui.service import reorder_desk
assert reorder_desk is sys.modules["zinv_tui.service.reorder_desk"].reorder_desk, reorder_desk
print("ok")
"""


def test_a_function_named_like_its_module_stays_the_function() -> None:
    found = subprocess.run(
        [sys.executable, "-c", _MODULE_FIRST], capture_output=True, text=True, check=False
    )
    assert found.stdout.strip() == "ok", found.stderr
