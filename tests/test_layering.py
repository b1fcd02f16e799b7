"""Layers point one way: ui/ -> service/ -> (the port) <- api/; the sandbox stands apart.

Every import statement in the package (top level, inside functions, under ``TYPE_CHECKING``) is
read with :mod:`ast` and checked against the rules below:

- the UI never names the API layer; the service knows of it only its errors (the port,
  ``service/backend.py``, says what the service needs; ``api/v1/backend.py`` and
  ``api/v3/backend.py`` implement it, ``api/generations.py`` chooses between them);
- the API layer knows nothing of the service but that port (the backends implement it);
- ``zinv_tui.values`` (plain values both use) imports nothing else of the app;
- the composition root (``zinv_tui.build``) may reach the API, the service and the config, but no
  front end; the sandbox uses the API's models only.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "zinv_tui"

FORBIDDEN: dict[str, tuple[str, ...]] = {
    # serve/ starts the app for browsers: beside ui/, on the service, never the API or the CLI.
    "zinv_tui.serve": ("zinv_tui.api", "zinv_tui.commands"),
    "zinv_tui.ui": ("zinv_tui.api", "zinv_tui.commands", "zinv_tui.serve"),
    "zinv_tui.service": (
        "zinv_tui.ui",
        "zinv_tui.config",
        "zinv_tui.commands",
        "zinv_tui.sandbox",
        "zinv_tui.serve",
        "textual",
    ),
    "zinv_tui.api": (
        "zinv_tui.service",
        "zinv_tui.ui",
        "zinv_tui.sandbox",
        "zinv_tui.config",
        "zinv_tui.serve",
    ),
    "zinv_tui.build": ("zinv_tui.ui", "zinv_tui.commands", "zinv_tui.sandbox", "zinv_tui.serve"),
}
"""Layer -> modules it must not import (each with everything below it)."""
EXCEPT: dict[str, tuple[str, ...]] = {
    "zinv_tui.service": ("zinv_tui.service", "zinv_tui.api.errors"),
    # The backends implement the port, and so does what chooses one (api_version auto).
    "zinv_tui.api.v1.backend": ("zinv_tui.service.backend",),
    "zinv_tui.api.v3.backend": ("zinv_tui.service.backend",),
    "zinv_tui.api.send_outcome": ("zinv_tui.service.backend",),
    "zinv_tui.api.generations": ("zinv_tui.service.backend",),
}
"""Module (or layer) -> what it may import although its layer's rules forbid it."""
ONLY_FROM_API: dict[str, tuple[str, ...]] = {
    "zinv_tui.service": ("zinv_tui.api.errors",),
}
"""Layer -> the only parts of ``zinv_tui.api`` it may import."""
APART = {"zinv_tui.values": ("zinv_tui.values",)}
"""Packages that import nothing of the app but these."""
SANDBOX_MAY_IMPORT = ("zinv_tui.sandbox", "zinv_tui.api.models")
"""The only parts of the app the sandbox may import."""


def module_name(path: Path) -> str:
    """``zinv_tui/ui/app.py`` -> ``zinv_tui.ui.app`` (a package's ``__init__`` is the package)."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module ``source`` (the text of ``module``) imports, relative imports resolved.

    ``from a import b`` yields both ``a`` and ``a.b`` (``b`` may be a submodule)."""
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")
    return found


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _excused(module: str, name: str) -> bool:
    return any(
        within(module, holder) and any(within(name, allowed) for allowed in allowed_names)
        for holder, allowed_names in EXCEPT.items()
    )


def violations(module: str, imports: set[str]) -> list[str]:
    """The imports of ``module`` that break the layering rules."""
    bad: list[str] = []
    for layer, forbidden in FORBIDDEN.items():
        if within(module, layer):
            bad += [
                name
                for name in imports
                if any(within(name, f) for f in forbidden) and not _excused(module, name)
            ]
    for layer, allowed in ONLY_FROM_API.items():
        if within(module, layer):
            bad += [
                name
                for name in imports
                if within(name, "zinv_tui.api")
                and name != "zinv_tui.api"
                and not any(within(name, a) for a in allowed)
            ]
            bad += [name for name in imports if name == "zinv_tui.api"]
    for package, allowed in APART.items():
        if within(module, package):
            bad += [
                name
                for name in imports
                if within(name, "zinv_tui")
                and name != "zinv_tui"
                and not any(within(name, a) for a in allowed)
            ]
    if within(module, "zinv_tui.sandbox"):
        bad += [
            name
            for name in imports
            if within(name, "zinv_tui")
            and name != "zinv_tui"
            and not any(within(name, allowed) for allowed in SANDBOX_MAY_IMPORT)
        ]
    return sorted(set(bad))


def package_modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_the_package_is_found() -> None:
    names = {module_name(path) for path in package_modules()}
    assert {"zinv_tui.ui.app", "zinv_tui.service", "zinv_tui.api.client"} <= names
    assert "zinv_tui.sandbox.server" in names
    assert {"zinv_tui.serve.web", "zinv_tui.serve.demo_session"} <= names


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        (
            "zinv_tui.ui.launch",
            "def f():\n    from zinv_tui.api import X\n",
            ["zinv_tui.api", "zinv_tui.api.X"],
        ),
        (
            "zinv_tui.ui.screens.x",
            "from ...commands import context\n",
            ["zinv_tui.commands", "zinv_tui.commands.context"],
        ),
        ("zinv_tui.service.x", "import textual.app\n", ["textual.app"]),
        ("zinv_tui.service.x", "from zinv_tui import config\n", ["zinv_tui.config"]),
        (
            "zinv_tui.api.x",
            "from ..service.rows import R\n",
            ["zinv_tui.service.rows", "zinv_tui.service.rows.R"],
        ),
        (
            "zinv_tui.sandbox.x",
            "from zinv_tui.api.errors import E\n",
            ["zinv_tui.api.errors", "zinv_tui.api.errors.E"],
        ),
        ("zinv_tui.sandbox.x", "from zinv_tui.api.models import M\nfrom . import ids\n", []),
        ("zinv_tui.ui.launch", "from zinv_tui.service import S\nimport zinv_tui.config\n", []),
        (
            "zinv_tui.serve.web",
            "from zinv_tui.commands.exit_codes import ExitCode\n",
            ["zinv_tui.commands.exit_codes", "zinv_tui.commands.exit_codes.ExitCode"],
        ),
        ("zinv_tui.ui.app", "import zinv_tui.serve.web\n", ["zinv_tui.serve.web"]),
        (
            "zinv_tui.serve.demo_session",
            "from zinv_tui.ui.launch import build_app\nfrom zinv_tui.service import S\n",
            [],
        ),
        ("zinv_tui.service.x", "from zinv_tui.api.errors import ZettleError\n", []),
        (
            "zinv_tui.service.x",
            "from zinv_tui.api.models import LocationType\n",
            ["zinv_tui.api.models", "zinv_tui.api.models.LocationType"],
        ),
        ("zinv_tui.service.x", "from zinv_tui import api\n", ["zinv_tui.api"]),
        (
            "zinv_tui.service.x",
            "from zinv_tui.api.v1.backend import B\n",
            ["zinv_tui.api.v1.backend", "zinv_tui.api.v1.backend.B"],
        ),
        ("zinv_tui.api.v1.backend", "from zinv_tui.service.backend import Place\n", []),
        (
            "zinv_tui.api.v1.backend",
            "from zinv_tui.service.view import V\n",
            ["zinv_tui.service.view", "zinv_tui.service.view.V"],
        ),
        (
            "zinv_tui.api.client",
            "from zinv_tui.service.backend import Place\n",
            ["zinv_tui.service.backend", "zinv_tui.service.backend.Place"],
        ),
        (
            "zinv_tui.values.x",
            "from zinv_tui.api.errors import E\n",
            ["zinv_tui.api.errors", "zinv_tui.api.errors.E"],
        ),
        (
            "zinv_tui.build",
            "from zinv_tui.ui.app import A\n",
            ["zinv_tui.ui.app", "zinv_tui.ui.app.A"],
        ),
    ],
)
def test_the_check_sees_violations(module: str, source: str, expected: list[str]) -> None:
    assert violations(module, imported_modules(source, module)) == expected


@pytest.mark.parametrize("path", package_modules(), ids=lambda path: module_name(path))
def test_imports_follow_the_layers(path: Path) -> None:
    module = module_name(path)
    imports = imported_modules(path.read_text(), module, path.name == "__init__.py")
    assert violations(module, imports) == []


# ------------------------------------------------------------------ inside ui/

UI_LAYERS: tuple[tuple[str, ...], ...] = (
    (
        "zinv_tui.ui.after_paint",
        "zinv_tui.ui.marks",
        "zinv_tui.ui.textual_compat",
        "zinv_tui.ui.stock_index",
        "zinv_tui.ui.themes",
        "zinv_tui.ui.preferences",
        "zinv_tui.ui.browser_keys",
        "zinv_tui.ui.downloads",
        "zinv_tui.ui.stores",
        "zinv_tui.ui.sending_toast",
    ),
    ("zinv_tui.ui.widgets",),
    ("zinv_tui.ui.screens",),
    ("zinv_tui.ui.app",),
    ("zinv_tui.ui.launch", "zinv_tui.ui.screenshots", "zinv_tui.ui"),
)
"""ui/ from the bottom up: small leaf modules, widgets, screens, the app, the entry points. A
module may import its own layer and those below, never above (a screen reaches the app it runs in
through ``zinv_app(self)``, typed by an import under ``TYPE_CHECKING``, and opens other screens
through the app's registry)."""


def is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def runtime_imports(source: str, module: str, is_package: bool = False) -> set[str]:
    """The imports of ``source`` that run (top level or in functions), not the type-only ones
    under ``if TYPE_CHECKING:``."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and is_type_checking(node.test):
            node.body = [ast.Pass()]
    return imported_modules(ast.unparse(tree), module, is_package)


def ui_layer(module: str) -> int:
    """The layer of a ui module: the longest prefix listed in :data:`UI_LAYERS` decides."""
    best, depth = -1, -1
    for layer, prefixes in enumerate(UI_LAYERS):
        for prefix in prefixes:
            if within(module, prefix) and prefix.count(".") > depth:
                best, depth = layer, prefix.count(".")
    assert best >= 0, f"{module} is in no layer of ui/: add it to UI_LAYERS"
    return best


def ui_graph(sources: dict[str, tuple[str, bool]]) -> dict[str, set[str]]:
    """Module -> the ui modules it imports at run time, for ``{module: (source, is_package)}``."""
    names = set(sources)
    return {
        module: {
            name
            for name in runtime_imports(source, module, is_package)
            if name in names and name != module
        }
        for module, (source, is_package) in sources.items()
    }


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """``a -> b`` for each import of a higher layer."""
    return sorted(
        f"{module} -> {name}"
        for module, imports in graph.items()
        for name in imports
        if ui_layer(name) > ui_layer(module)
    )


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Import cycles of ``graph`` (each once, as found by a depth-first walk)."""
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for name in sorted(graph.get(module, ())):
            if state.get(name) == 1:
                found.append([*path[path.index(name) :], name])
            elif name not in state:
                visit(name)
        path.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    return found


def ui_sources() -> dict[str, tuple[str, bool]]:
    return {
        module_name(path): (path.read_text(), path.name == "__init__.py")
        for path in package_modules()
        if within(module_name(path), "zinv_tui.ui")
    }


def test_the_ui_check_sees_cycles_and_layers() -> None:
    sources = {
        "zinv_tui.ui.screens.a": ("def f():\n    from zinv_tui.ui.screens.b import B\n", False),
        "zinv_tui.ui.screens.b": ("from zinv_tui.ui.screens import a\n", False),
        "zinv_tui.ui.screens": ("", True),
        "zinv_tui.ui.widgets.w": (
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from zinv_tui.ui.app import ZinvApp\nfrom zinv_tui.ui.screens.a import A\n",
            False,
        ),
        "zinv_tui.ui.app": ("from zinv_tui.ui.widgets.w import W\n", False),
    }
    graph = ui_graph(sources)
    assert cycles(graph) == [
        ["zinv_tui.ui.screens.a", "zinv_tui.ui.screens.b", "zinv_tui.ui.screens.a"]
    ]
    assert upward_imports(graph) == ["zinv_tui.ui.widgets.w -> zinv_tui.ui.screens.a"]


def test_no_import_cycles_inside_ui() -> None:
    assert cycles(ui_graph(ui_sources())) == []


def test_ui_imports_point_down_its_layers() -> None:
    assert upward_imports(ui_graph(ui_sources())) == []
