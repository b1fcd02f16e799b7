"""Settings: precedence of the sources, profiles, paths and messages for bad values."""

from __future__ import annotations

import json

import pytest

from zinv_tui.config import ConfigError, load_settings
from zinv_tui.config.sources import ZinvSettings

pytestmark = pytest.mark.timeout(30)


def test_defaults_without_any_file(zinv_dirs):
    settings = load_settings()
    assert settings.profile_name == "default"
    assert settings.profile.poll_interval == 5.0
    assert settings.profile.oauth_url == "https://oauth.zettle.com"
    assert settings.sources["poll_interval"] == "default"
    assert settings.state_dir == zinv_dirs.state / "profiles" / "default"
    assert settings.cache_dir == zinv_dirs.cache / "profiles" / "default"
    assert settings.paths.config_file == zinv_dirs.config_file


def test_each_source_beats_the_one_below(zinv_dirs, monkeypatch):
    path = zinv_dirs.write_config("poll_interval = 10\n")
    settings = load_settings()
    assert settings.profile.poll_interval == 10
    assert settings.sources["poll_interval"] == f"{path}: poll_interval"

    zinv_dirs.env_file.write_text("ZINV_POLL_INTERVAL=12\n")
    settings = load_settings()
    assert settings.profile.poll_interval == 12
    assert settings.sources["poll_interval"] == f"{zinv_dirs.env_file}: ZINV_POLL_INTERVAL"

    monkeypatch.setenv("ZINV_POLL_INTERVAL", "13")
    settings = load_settings()
    assert settings.profile.poll_interval == 13
    assert settings.sources["poll_interval"] == "env ZINV_POLL_INTERVAL"

    settings = load_settings(flags={"poll_interval": "14"})
    assert settings.profile.poll_interval == 14
    assert settings.sources["poll_interval"] == "flag --poll-interval"


def test_profile_section_beats_top_level_within_the_same_file(zinv_dirs, monkeypatch):
    path = zinv_dirs.write_config(
        'default_profile = "shop"\npoll_interval = 10\n[profiles.shop]\npoll_interval = 11\n'
    )
    settings = load_settings()
    assert settings.profile_name == "shop"
    assert settings.profile.poll_interval == 11
    assert settings.sources["poll_interval"] == f"{path}: profiles.shop.poll_interval"
    # ... but a higher layer's general value still beats the file's profile value.
    monkeypatch.setenv("ZINV_POLL_INTERVAL", "13")
    assert load_settings().profile.poll_interval == 13
    monkeypatch.setenv("ZINV_PROFILES__SHOP__POLL_INTERVAL", "17")
    settings = load_settings()
    assert settings.profile.poll_interval == 17
    assert settings.sources["poll_interval"] == "env ZINV_PROFILES__SHOP__POLL_INTERVAL"


def test_profile_choice_precedence(zinv_dirs, monkeypatch):
    zinv_dirs.write_config(
        'default_profile = "a"\n[profiles.a]\nuser = "ann"\n[profiles.b]\nuser = "bob"\n'
        '[profiles.c]\nuser = "cid"\n'
    )
    assert load_settings().profile.user == "ann"
    zinv_dirs.env_file.write_text("ZINV_PROFILE=b\n")
    assert load_settings().profile.user == "bob"
    monkeypatch.setenv("ZINV_PROFILE", "c")
    settings = load_settings()
    assert (settings.profile_name, settings.sources["profile"]) == ("c", "env ZINV_PROFILE")
    assert load_settings(flags={"profile": "a"}).profile_name == "a"
    assert load_settings(profile="b").profile_name == "b"
    assert load_settings().profile_names == ("a", "b", "c", "default")


def test_profiles_have_their_own_state_dirs(zinv_dirs):
    zinv_dirs.write_config("[profiles.north]\n[profiles.south]\n")
    north = load_settings(profile="north")
    south = load_settings(profile="south")
    assert north.state_dir == zinv_dirs.state / "profiles" / "north"
    assert south.state_dir == zinv_dirs.state / "profiles" / "south"


def test_base_url_shortcut_sets_all_three_endpoints(zinv_dirs):
    zinv_dirs.write_config('[profiles.sandbox]\nbase_url = "http://127.0.0.1:8700/"\n')
    settings = load_settings(profile="sandbox")
    assert settings.profile.effective_urls() == {
        "oauth_url": "http://127.0.0.1:8700",
        "inventory_url": "http://127.0.0.1:8700",
        "products_url": "http://127.0.0.1:8700",
        "purchases_url": "http://127.0.0.1:8700",
    }
    endpoints = settings.endpoints()
    assert endpoints.oauth_url == endpoints.inventory_url == "http://127.0.0.1:8700"


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        (
            "[profiles.shop]\npoll_interval = -3\n",
            "{file}: profiles.shop.poll_interval = -3: must be a number of seconds between 1 "
            "and 3600",
        ),
        (
            '[profiles.shop]\nbase_url = "http://shop.example.com"\n',
            '{file}: profiles.shop.base_url = "http://shop.example.com": must be an https:// URL '
            "(http:// only for a loopback host",
        ),
        (
            '[profiles.shop]\napi_key_env = "MY KEY"\n',
            '{file}: profiles.shop.api_key_env = "MY KEY": must be the name of an environment '
            "variable",
        ),
        ("[profiles.shop]\ntimeout = 0\n", "{file}: profiles.shop.timeout = 0: must be a number"),
        (
            "[profiles.shop]\npol_interval = 3\n",
            "{file}: profiles.shop.pol_interval: unknown setting; allowed: ",
        ),
        ("colour = 1\n", "{file}: colour: unknown setting; allowed: default_profile"),
        ('api_key = "abcdefgh"\n', "{file}: api_key: API keys do not belong in"),
        ("[profiles.demo]\n", "{file}: profiles.demo: the demo profile is reserved"),
        ("poll_interval = [\n", "{file}: not valid TOML"),
    ],
)
def test_bad_file_values_name_file_key_and_what_is_allowed(zinv_dirs, toml, expected):
    path = zinv_dirs.write_config(toml)
    with pytest.raises(ConfigError) as caught:
        load_settings(profile="shop")
    assert str(caught.value).startswith(expected.format(file=path)), str(caught.value)


def test_bad_values_from_env_dotenv_and_flags_name_their_source(zinv_dirs, monkeypatch):
    zinv_dirs.env_file.write_text("ZINV_TIMEOUT=forever\n")
    with pytest.raises(ConfigError, match=r"project\.env: ZINV_TIMEOUT = \"forever\": must be"):
        load_settings()
    zinv_dirs.env_file.write_text("ZINV_POLL_INTERVL=3\n")
    with pytest.raises(ConfigError, match=r"ZINV_POLL_INTERVL: unknown setting"):
        load_settings()
    zinv_dirs.env_file.write_text("")
    monkeypatch.setenv("ZINV_POLL_INTERVAL", "4000")
    with pytest.raises(ConfigError, match=r"^env ZINV_POLL_INTERVAL = \"4000\": must be .* 3600"):
        load_settings()
    monkeypatch.delenv("ZINV_POLL_INTERVAL")
    with pytest.raises(ConfigError, match=r"^flag --base-url = \"ftp://x\": must be an https"):
        load_settings(flags={"base_url": "ftp://x"})


def test_unknown_profile_and_bad_names(zinv_dirs):
    zinv_dirs.write_config("[profiles.shop]\n")
    with pytest.raises(ConfigError, match=r"no such profile; defined: default, shop"):
        load_settings(profile="other")
    with pytest.raises(ConfigError, match="must be 1 to 40 lowercase"):
        load_settings(profile="../etc")
    with pytest.raises(ConfigError, match="reserved for `zinv-tui demo`"):
        load_settings(profile="demo")
    assert load_settings(profile="other", allow_new_profile=True).profile_name == "other"


def test_pydantic_settings_class_reads_the_same_layers(zinv_dirs, monkeypatch):
    zinv_dirs.write_config('timeout = 20\nuser = "file"\n[profiles.shop]\nclient_id = "c1"\n')
    zinv_dirs.env_file.write_text("ZINV_USER=dotenv\nZINV_POLL_INTERVAL=8\n")
    monkeypatch.setenv("ZINV_POLL_INTERVAL", "9")
    monkeypatch.setenv("ZINV_PROFILES__SHOP__USER", "sam")
    raw = ZinvSettings()
    assert (raw.timeout, raw.user, raw.poll_interval) == (20, "dotenv", "9")
    assert raw.profiles == {"shop": {"client_id": "c1", "user": "sam"}}
    assert ZinvSettings(poll_interval=10).poll_interval == 10


def test_config_command_prints_values_and_sources(zinv_dirs, run_cli, monkeypatch):
    path = zinv_dirs.write_config('[profiles.shop]\nuser = "ann"\n')
    monkeypatch.setenv("ZINV_TIMEOUT", "30")
    result = run_cli("config", "--profile", "shop", "--poll-interval", "7", "--format", "json")
    assert result.code == 0, result.err
    rows = {row["setting"]: row for row in json.loads(result.out)}
    assert rows["user"] == {
        "setting": "user",
        "value": "ann",
        "source": f"{path}: profiles.shop.user",
    }
    assert rows["timeout"]["value"] == 30 and rows["timeout"]["source"] == "env ZINV_TIMEOUT"
    assert rows["poll_interval"]["source"] == "flag --poll-interval"
    assert rows["oauth_url"]["source"] == "default"
    assert rows["profile"]["source"] == "flag --profile"
    assert rows["state_dir"]["value"] == str(zinv_dirs.state / "profiles" / "shop")

    table = run_cli("--profile", "shop", "config")
    assert table.code == 0
    assert "flag --profile" in table.out and "profiles.shop.user" in table.out


def test_config_errors_exit_with_2_and_name_the_problem(zinv_dirs, run_cli):
    path = zinv_dirs.write_config("[profiles.shop]\npoll_interval = -3\n")
    result = run_cli("config", "--profile", "shop")
    assert result.code == 2
    assert f"{path}: profiles.shop.poll_interval = -3: must be a number of seconds" in result.err
    assert run_cli("config", "--format", "yaml").code == 2
    assert run_cli("no-such-command").code == 2


def test_unreadable_environment_values_are_config_errors(zinv_dirs, monkeypatch, run_cli):
    monkeypatch.setenv("ZINV_PROFILES", "not json")
    result = run_cli("config")
    assert result.code == 2
    assert "ZINV_PROFILES must be a JSON object" in result.err


def test_no_command_opens_the_app_launcher(zinv_dirs, run_cli):
    # Without a key and without a terminal, the launcher explains how to connect (exit 3).
    result = run_cli()
    assert result.code == 3
    assert "zinv-tui login" in result.err
