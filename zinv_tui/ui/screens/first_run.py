"""The first-run screen: no API key yet. Explains how to get one, takes it in a hidden field,
verifies it with Zettle's token endpoint, stores it (0600), or offers the demo instead.

Use it through :class:`FirstRunApp` before the main app exists (the launcher then opens the shop
or the demo)::

    result = FirstRunApp(settings, reason="no API key for profile 'default'").run()
    if result is None or result.choice == "quit": ...   # None: closed with ctrl+q
    elif result.choice == "connected": ...   # key stored: resolve it again, open the app
    elif result.choice == "demo": ...        # run the demo

The key itself never leaves this module: the result carries only who it belongs to and where it
was stored.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol, cast
from uuid import UUID

from pydantic import SecretStr
from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Input, Static

from zinv_tui.ui.widgets.key_bar import KeyBar
from zinv_tui.ui.widgets.text_input import TextInput

if TYPE_CHECKING:
    from zinv_tui.config import ResolvedSettings

KEYS_PAGE = "https://my.zettle.com/apps/api-keys?scopes=READ:PRODUCT%20WRITE:PRODUCT"
REQUIRED_SCOPES = ("READ:PRODUCT", "WRITE:PRODUCT")


class KeyInfo(Protocol):
    """What Zettle's token endpoint says of a key (the client's ``TokenInfo`` has these)."""

    @property
    def organization_uuid(self) -> UUID | None: ...
    @property
    def scopes(self) -> tuple[str, ...]: ...


Verifier = Callable[[SecretStr], Awaitable[KeyInfo]]
"""Checks a key with Zettle; returns its :class:`KeyInfo` or raises."""
Storer = Callable[[SecretStr], Path]
"""Stores a verified key; returns the file it went to."""


@dataclass(frozen=True, slots=True)
class FirstRunResult:
    """What the person chose: ``connected`` (key verified and stored), ``demo`` or ``quit``."""

    choice: Literal["connected", "demo", "quit"]
    organization: str | None = None
    stored_at: Path | None = None


def missing_scopes(info: KeyInfo) -> list[str]:
    """Required scopes the key does not have (empty when the token endpoint does not say)."""
    scopes = list(info.scopes or [])
    return [scope for scope in REQUIRED_SCOPES if scopes and scope not in scopes]


def organization_of(info: KeyInfo) -> str | None:
    """The key's organization as text (None when the token endpoint does not say)."""
    return str(info.organization_uuid) if info.organization_uuid else None


def settings_verifier(settings: ResolvedSettings) -> Verifier:
    """Verify against the profile's token endpoint (its base URLs and client id)."""

    async def verify(key: SecretStr) -> KeyInfo:
        from zinv_tui.build import access_of, key_info

        return await key_info(access_of(settings, key))

    return verify


def settings_storer(settings: ResolvedSettings) -> Storer:
    """Store in the profile's credentials file (mode 0600), as ``zinv-tui login`` does."""

    def store(key: SecretStr) -> Path:
        from zinv_tui.config import store_api_key

        return store_api_key(settings.paths, settings.profile_name, key)

    return store


class FirstRunScreen(Screen[FirstRunResult]):
    """Connect a shop with an API key, or try the demo. Esc quits."""

    TITLE = "Welcome"
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS = [
        Binding("ctrl+s", "verify", "Verify and save", id="first_run.verify"),
        Binding("ctrl+t", "demo", "Try the demo", id="first_run.demo"),
        Binding("ctrl+l", "copy_link", "Copy link", id="first_run.copy_link"),
        Binding("escape", "quit", "Quit"),
    ]

    def __init__(
        self,
        settings: ResolvedSettings | None = None,
        *,
        reason: str | None = None,
        verify: Verifier | None = None,
        store: Storer | None = None,
    ) -> None:
        super().__init__()
        if verify is None and settings is not None:
            verify = settings_verifier(settings)
        if store is None and settings is not None:
            store = settings_storer(settings)
        self._verify = verify
        self._store = store
        self._reason = reason
        self._profile = settings.profile_name if settings is not None else None
        self._verified: tuple[KeyInfo, Path] | None = None
        self._busy = False

    def compose(self) -> ComposeResult:
        profile = f" (profile {self._profile!r})" if self._profile else ""
        with VerticalScroll(id="first-run"):
            yield Static(Text("Welcome to zinv-tui", style="bold"), id="first-run-title")
            intro = Text(f"zinv-tui needs a Zettle API key to open your shop{profile}.")
            if self._reason:
                intro.append(f"\n({self._reason})", style="dim")
            yield Static(intro, classes="first-run-text")
            steps = Text()
            steps.append("1. ", style="bold")
            steps.append("Open ")
            steps.append(KEYS_PAGE, style="underline")
            steps.append("  (ctrl+l copies the link)\n", style="dim")
            steps.append("2. ", style="bold")
            steps.append("Create a key with the scopes READ:PRODUCT and WRITE:PRODUCT.\n")
            steps.append("3. ", style="bold")
            steps.append("Paste it below. It is checked with Zettle, then kept in a file only you")
            steps.append(" can read.")
            yield Static(steps, classes="first-run-text")
            with Horizontal(id="key-row"):
                yield Static("API key", id="key-label")
                yield TextInput(
                    password=True,
                    placeholder="paste the key (hidden)",
                    id="api-key",
                    compact=True,
                )
            yield Static("", id="first-run-message")
            with Horizontal(id="first-run-buttons"):
                yield Button("Verify and save", variant="primary", id="verify", compact=True)
                yield Button("Continue anyway", id="continue", compact=True)
                yield Button("Try the demo", id="demo", compact=True)
                yield Button("Quit", id="quit", compact=True)
            yield Static(
                Text(
                    "The demo runs a local Zettle sandbox with a made-up shop: "
                    "nothing leaves this computer.",
                    style="dim",
                ),
                classes="first-run-text",
                id="demo-note",
            )
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#continue", Button).display = False
        if self.app.is_web:  # served: the server runs the demo (`zinv-tui serve --demo`), not a tab
            self.query_one("#demo", Button).display = False
            self.query_one("#demo-note", Static).display = False
        key_input = self.query_one("#api-key", Input)
        if cast("FirstRunApp", self.app).frozen:
            key_input.cursor_blink = False
        key_input.focus()

    def _say(self, message: str, style: str = "") -> None:
        self.query_one("#first-run-message", Static).update(Text(message, style=style))

    @property
    def message(self) -> str:
        """The status line under the key field (for tests)."""
        return str(self.query_one("#first-run-message", Static).content)

    @on(Input.Changed, "#api-key")
    def _key_changed(self) -> None:
        self._verified = None
        self.query_one("#continue", Button).display = False
        self._say("")

    @on(Input.Submitted, "#api-key")
    @on(Button.Pressed, "#verify")
    def action_verify(self) -> None:
        if self._busy:
            return
        text = "".join(ch for ch in self.query_one("#api-key", Input).value if ch.isprintable())
        text = text.strip()
        if not text:
            self._say("Paste the API key first (it stays hidden)", "bold red")
            return
        if self._verify is None or self._store is None:
            self._say("This build cannot store keys here; run `zinv-tui login`", "bold red")
            return
        self.check_key(SecretStr(text))

    @work(exclusive=True, group="first-run-verify", exit_on_error=False)
    async def check_key(self, key: SecretStr) -> None:
        """Verify with Zettle (network, so in a worker), then store and finish."""
        assert self._verify is not None and self._store is not None
        self._busy = True
        self._say("Checking the key with Zettle…", "italic")
        try:
            info = await self._verify(key)
            path = self._store(key)
        except Exception as error:
            # The client's and config's messages never contain the key; say it in plain words.
            self._say(f"That key did not work: {error}", "bold red")
            return
        finally:
            self._busy = False
        organization = organization_of(info)
        self.query_one("#api-key", Input).value = ""
        self._verified = (info, path)
        missing = missing_scopes(info)
        if missing:
            self._say(
                f"The key works (organization {organization}) but lacks {' and '.join(missing)}: "
                "stock changes will be refused. Make a new key with both scopes, or continue.",
                "bold yellow",
            )
            self.query_one("#continue", Button).display = True
            self.query_one("#continue", Button).focus()
            return
        self.dismiss(FirstRunResult("connected", organization, path))

    @on(Button.Pressed, "#continue")
    def _continue(self) -> None:
        if self._verified is None:
            return
        info, path = self._verified
        self.dismiss(FirstRunResult("connected", organization_of(info), path))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action == "demo" and self.app.is_web)

    @on(Button.Pressed, "#demo")
    def action_demo(self) -> None:
        self.dismiss(FirstRunResult("demo"))

    @on(Button.Pressed, "#quit")
    def action_quit(self) -> None:
        self.dismiss(FirstRunResult("quit"))

    def action_copy_link(self) -> None:
        self.app.copy_to_clipboard(KEYS_PAGE)
        self.notify("Copied the API keys page link", markup=False)


class FirstRunApp(App[FirstRunResult]):
    """A small app that only shows :class:`FirstRunScreen` and returns the choice."""

    TITLE = "zinv-tui"

    def __init__(
        self,
        settings: ResolvedSettings | None = None,
        *,
        reason: str | None = None,
        verify: Verifier | None = None,
        store: Storer | None = None,
        frozen: bool = False,
    ) -> None:
        super().__init__()
        self.frozen = frozen
        self._settings = settings
        self._reason = reason
        self._verify = verify
        self._store = store

    def on_mount(self) -> None:
        if self.is_web:
            from zinv_tui.ui.browser_keys import BROWSER_KEYMAP

            self.set_keymap(BROWSER_KEYMAP)
        screen = FirstRunScreen(
            self._settings, reason=self._reason, verify=self._verify, store=self._store
        )
        self.push_screen(screen, self.exit)
