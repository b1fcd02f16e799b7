"""Colour themes: zinv-tui's own dark and light themes and a high-contrast one.

Textual's built-in themes stay available (palette → "Theme"). Markers in the tables are text
("✗ OUT", "▼ LOW", "⧗"), so no theme — and ``NO_COLOR`` — loses information.
"""

from __future__ import annotations

from textual.app import App
from textual.theme import Theme

ZINV_DARK = Theme(
    name="zinv-dark",
    primary="#4EA1D3",
    secondary="#7E9CD8",
    accent="#E6A23C",
    warning="#F0B429",
    error="#F25F5C",
    success="#5FB878",
    foreground="#E0E0E0",
    background="#15181C",
    surface="#1C2026",
    panel="#262B33",
    dark=True,
)

ZINV_LIGHT = Theme(
    name="zinv-light",
    primary="#005A9E",
    secondary="#4A5FA8",
    accent="#B35C00",
    warning="#9A6700",
    error="#B3261E",
    success="#1E7B34",
    foreground="#1A1A1A",
    background="#F7F7F5",
    surface="#FFFFFF",
    panel="#E6E6E3",
    dark=False,
)

HIGH_CONTRAST = Theme(
    name="zinv-high-contrast",
    primary="#FFFF00",
    secondary="#00FFFF",
    accent="#FF00FF",
    warning="#FFFF00",
    error="#FF5555",
    success="#00FF00",
    foreground="#FFFFFF",
    background="#000000",
    surface="#000000",
    panel="#1A1A1A",
    boost="#333333",
    dark=True,
    variables={
        "block-cursor-background": "#FFFF00",
        "block-cursor-foreground": "#000000",
        "block-cursor-text-style": "bold",
        "block-cursor-blurred-background": "#808080",
        "block-cursor-blurred-foreground": "#000000",
        "footer-key-foreground": "#FFFF00",
        "input-selection-background": "#FFFF00 60%",
        "border": "#FFFFFF",
        "border-blurred": "#AAAAAA",
    },
)

THEMES: tuple[Theme, ...] = (ZINV_DARK, ZINV_LIGHT, HIGH_CONTRAST)
DEFAULT_THEME = ZINV_DARK.name


def register_themes(app: App) -> None:
    """Make zinv-tui's themes available to ``app`` (call before setting ``app.theme``)."""
    for theme in THEMES:
        app.register_theme(theme)
