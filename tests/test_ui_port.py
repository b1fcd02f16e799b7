"""The UI's contract with the service: ``InventoryService`` has everything ``InventoryPort``
declares (mypy checks the same where the app is built, ``ui/launch.py``, and here), and the UI
reaches the service only through the port (no probing by name)."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from typing_extensions import get_protocol_members

from zinv_tui.build import ShopAccess, open_inventory
from zinv_tui.service import InventoryPort, InventoryService

UI = Path(__file__).resolve().parents[1] / "zinv_tui" / "ui"


def as_port(service: InventoryService) -> InventoryPort:
    """A static check: mypy refuses this when the service stops satisfying the port."""
    return service


def test_the_service_has_every_member_of_the_port(tmp_path: Path) -> None:
    access = ShopAccess.local("http://127.0.0.1:9", "not-a-key")
    service = as_port(open_inventory(access, state_dir=tmp_path))
    members = get_protocol_members(InventoryPort)
    assert {"rows", "status", "subscribe", "plan", "record", "history", "counts"} <= members
    missing = sorted(name for name in members if not hasattr(service, name))
    assert missing == []
    for name in members:
        declared = inspect.getattr_static(InventoryPort, name, None)
        if inspect.iscoroutinefunction(declared):  # async stays async: the UI awaits it
            assert inspect.iscoroutinefunction(getattr(InventoryService, name)), name


def test_the_ui_never_probes_objects_by_name() -> None:
    """No ``getattr``/``hasattr`` on the service, the app or a diff: a rename must fail the type
    check, not turn into a default at run time. (The one exception: a command line's ``args``,
    whose flags differ between the commands that share a launcher.)"""
    found: list[str] = []
    for path in sorted(UI.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id not in {"getattr", "hasattr"}:
                continue
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Name) and first.id == "args":
                continue
            found.append(f"{path.relative_to(UI)}:{node.lineno}")
    assert found == []
