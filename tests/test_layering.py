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
