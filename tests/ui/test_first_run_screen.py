"""First-run screen: explains where to get a key, verifies it with the (sandbox) token endpoint,
stores it 0600, or offers the demo. The key never shows on screen."""

from __future__ import annotations

import stat

import pytest

from tests.support.screens import settle
from zinv_tui.config import load_settings
from zinv_tui.config.credentials import read_stored_key, stored_key_path
from zinv_tui.ui.screens.first_run import KEYS_PAGE, FirstRunApp, FirstRunResult

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def settings(sandbox, tmp_path, monkeypatch):
    environ = {
        "ZINV_CONFIG_DIR": str(tmp_path / "config"),
        "ZINV_STATE_DIR": str(tmp_path / "state"),
        "ZINV_DATA_DIR": str(tmp_path / "data"),
        "ZINV_CACHE_DIR": str(tmp_path / "cache"),
        "ZINV_ENV_FILE": "",
    }
    return load_settings(
        profile="shop",
        flags={"base_url": sandbox.url, "client_id": sandbox.client_id},
        environ=environ,
        allow_new_profile=True,
    )


async def test_a_good_key_is_verified_and_stored_privately(sandbox, settings):
    app = FirstRunApp(settings, reason="no API key yet", frozen=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+l")
        assert app.clipboard == KEYS_PAGE
        app.screen.query_one("#api-key").value = sandbox.api_key  # as a paste
        await pilot.press("enter")
        await settle(pilot)
        screenshot = app.export_screenshot()
    assert sandbox.api_key not in screenshot
    result = app.return_value
    assert isinstance(result, FirstRunResult)
    assert result.choice == "connected"
    assert result.organization == sandbox.organization_uuid
    path = stored_key_path(settings.paths, "shop")
    assert result.stored_at == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_stored_key(path).get_secret_value() == sandbox.api_key


async def test_a_bad_key_is_refused_in_words_and_nothing_is_stored(settings):
    app = FirstRunApp(settings, frozen=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        assert "Paste the API key first" in app.screen.message
        app.screen.query_one("#api-key").value = "not-a-real-key"
        await pilot.press("enter")
        await settle(pilot)
        message = app.screen.message
        assert message.startswith("That key did not work")
        assert "not-a-real-key" not in message
        assert "not-a-real-key" not in app.export_screenshot()
        await pilot.press("ctrl+t")
        await settle(pilot)
    assert app.return_value == FirstRunResult("demo")
    assert not stored_key_path(settings.paths, "shop").exists()


async def test_escape_quits():
    app = FirstRunApp(frozen=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
    assert app.return_value == FirstRunResult("quit")
