"""Terminals the full-screen app cannot use as they are: ``TERM=dumb`` (no cursor addressing) is
told so in one line; a terminal without colour (``TERM=vt100``) gets the app as under NO_COLOR."""

from __future__ import annotations

import pytest

from zinv_tui.ui.launch import terminal_problem


@pytest.mark.parametrize("command", [["demo"], []], ids=["demo", "app"])
@pytest.mark.parametrize("term", ["dumb", "unknown"])
def test_a_terminal_without_cursor_addressing_is_told_in_one_line(
    run_cli, zinv_dirs, monkeypatch, command, term
) -> None:
    monkeypatch.setenv("TERM", term)
    monkeypatch.delenv("TEXTUAL_DRIVER", raising=False)
    result = run_cli(*command)
    assert result.code == 2
    assert f"(TERM={term}) cannot show a full-screen app" in result.err
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err
    assert not (zinv_dirs.data / "demo").exists()  # refused before a sandbox started


@pytest.mark.parametrize("term", ["vt100", "vt220-w", "VT102"])
def test_a_terminal_without_colour_draws_as_under_no_color(term) -> None:
    environ = {"TERM": term}
    assert terminal_problem(environ) is None
    assert environ["NO_COLOR"] == "1"


@pytest.mark.parametrize("term", ["xterm-256color", "linux", "screen", "tmux-256color"])
def test_colour_terminals_and_browser_tabs_are_left_alone(term) -> None:
    environ = {"TERM": term}
    assert terminal_problem(environ) is None and environ == {"TERM": term}
    served = {"TERM": "dumb", "TEXTUAL_DRIVER": "textual.drivers.web_driver:WebDriver"}
    assert terminal_problem(served) is None  # a served tab's environment may say anything
