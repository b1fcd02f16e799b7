"""Headless Chromium (Debian's ``chromium`` + ``chromium-driver``) through Selenium, and what the
page's terminal shows.

xterm.js draws on a canvas, so the page has no text to read. The browser instead records what the
server sends to its terminal (a script run before the page's own), and :class:`TerminalView`
replays that into a VT emulator (pyte) of the terminal's size: the screen as the person sees it.

Chromium as root on this closed network needs ``--no-sandbox`` and no background networking, or it
stalls; each browser gets a fresh profile directory. No browser is ever downloaded: only the system
``/usr/bin/chromium`` and ``/usr/bin/chromedriver`` are used (Selenium Manager is not involved).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyte
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
DRIVER_PATHS = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")
TABLET = (1024, 768)
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--disable-features=Translate,MediaRouter,OptimizationHints",
    "--metrics-recording-only",
    "--password-store=basic",
)

RECORD_TERMINAL = """
(() => {
  const Native = window.WebSocket;
  const decoder = new TextDecoder("utf-8");
  const events = [];
  window.__zinvTake = () => events.splice(0, events.length);
  class Recording extends Native {
    constructor(url, protocols) {
      super(url, protocols);
      this.addEventListener("message", (event) => {
        if (typeof event.data !== "string") {
          events.push(["d", decoder.decode(new Uint8Array(event.data), {stream: true})]);
        }
      });
    }
    send(data) {
      try {
        const message = JSON.parse(data);
        if (message[0] === "resize") events.push(["r", message[1]]);
      } catch (error) {}
      return super.send(data);
    }
  }
  window.WebSocket = Recording;
})();
"""


def find_binary(candidates: tuple[str, ...], name: str) -> str | None:
    for candidate in candidates:
        if Path(candidate).exists():
            return candidate
    return shutil.which(name)


def chromium_paths() -> tuple[str, str] | None:
    """The system Chromium and its driver, or None when either is missing."""
    browser = find_binary(CHROMIUM_PATHS, "chromium")
    driver = find_binary(DRIVER_PATHS, "chromedriver")
    return (browser, driver) if browser and driver else None


def start_chromium(downloads: Path | None = None, size: tuple[int, int] = TABLET) -> Any:
    """A headless Chromium of ``size`` that records its terminal (see :class:`TerminalView`)."""
    paths = chromium_paths()
    assert paths is not None, "chromium and chromedriver are not installed"
    browser, driver_path = paths
    profile = Path(tempfile.mkdtemp(prefix="zinv-chromium-"))
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={size[0]},{size[1]}")
    if downloads is not None:
        options.add_experimental_option(
            "prefs",
            {
                "download.default_directory": str(downloads),
                "download.prompt_for_download": False,
                "profile.default_content_setting_values.popups": 1,
            },
        )
    # Chromium writes crash reports under XDG_CONFIG_HOME even with --user-data-dir: keep them in
    # the throwaway profile too.
    environment = {**os.environ, "XDG_CONFIG_HOME": str(profile), "XDG_CACHE_HOME": str(profile)}
    service = Service(executable_path=driver_path, env=environment)
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(30)
    # The page itself at tablet size (the window's own bars are not the page's).
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": False},
    )
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_TERMINAL})
    if downloads is not None:
        driver.execute_cdp_cmd(
            "Browser.setDownloadBehavior",
            {"behavior": "allow", "downloadPath": str(downloads), "eventsEnabled": True},
        )
    driver.zinv_profile_dir = profile
    return driver


def stop_chromium(driver: Any) -> None:
    profile = getattr(driver, "zinv_profile_dir", None)
    try:
        driver.quit()
    finally:
        if profile is not None:
            shutil.rmtree(profile, ignore_errors=True)


@dataclass
class TerminalView:
    """The page's terminal as a screen of text, replayed from what the server sent it."""

    driver: Any
    screen: pyte.Screen = field(default_factory=lambda: pyte.Screen(80, 24))
    stream: pyte.Stream = field(init=False)

    def __post_init__(self) -> None:
        self.stream = pyte.Stream(self.screen)

    def update(self) -> None:
        taken = self.driver.execute_script("return window.__zinvTake ? window.__zinvTake() : []")
        for kind, payload in taken:
            if kind == "r":
                self.screen.resize(int(payload["height"]), int(payload["width"]))
            else:
                self.stream.feed(payload)

    @property
    def lines(self) -> list[str]:
        return list(self.screen.display)

    @property
    def text(self) -> str:
        return "\n".join(line.rstrip() for line in self.lines)

    def wait_for(
        self, check: str | Callable[[str], bool], timeout: float = 20.0, what: str = ""
    ) -> str:
        """Wait until the screen shows ``check`` (a text, or a test of the whole screen)."""
        test = (lambda text: check in text) if isinstance(check, str) else check
        deadline = time.monotonic() + timeout
        while True:
            self.update()
            text = self.text
            if test(text):
                return text
            if time.monotonic() > deadline:
                wanted = what or check
                raise AssertionError(
                    f"the browser never showed {wanted!r} in {timeout:g} s; it shows:\n{text}"
                )
            time.sleep(0.1)

    # ------------------------------------------------------------------ typing

    def focus(self) -> Any:
        """The terminal's keyboard field, focused (as a tap on the terminal does)."""
        field_ = self.driver.find_element(By.CSS_SELECTOR, ".xterm-helper-textarea")
        self.driver.execute_script("arguments[0].focus()", field_)
        return field_

    def type(self, *keys: str) -> None:
        """Type into the terminal, key by key (as a person, or a scanner: all at once)."""
        self.focus()
        actions = ActionChains(self.driver)
        for key in keys:
            actions.send_keys(key)
        actions.perform()

    def chord(self, modifier: str, key: str) -> None:
        """``modifier`` held while ``key`` is pressed (e.g. Keys.CONTROL + "s")."""
        self.focus()
        ActionChains(self.driver).key_down(modifier).send_keys(key).key_up(modifier).perform()
