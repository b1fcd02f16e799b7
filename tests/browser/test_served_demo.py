"""The stockroom tablet: ``zinv-tui serve --demo`` in headless Chromium at 1024x768.

Everything goes through the real page: the login form, xterm.js, textual-serve's websocket, one
app process per tab, the one demo sandbox. Keys are typed into the page as a person (or a barcode
scanner: the digits and Enter at once) would; what the page shows is read back from its terminal.
"""

from __future__ import annotations

import csv
import time
from typing import Any

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.wait import WebDriverWait

from tests.browser.chromium import TerminalView
from tests.browser.served import DEMO_PRODUCTS, ServedDemo, sign_in
from zinv_tui.sandbox.demo_data import DemoVariant, generate_shop
from zinv_tui.service.journal import OutboxJournal

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow(seconds=30),
    pytest.mark.timeout(150),
    pytest.mark.xdist_group("browser"),
]


def a_variant() -> DemoVariant:
    """A tracked variant with a barcode and some stock in the served demo (by SKU order)."""
    shop = generate_shop(DEMO_PRODUCTS, seed=1)
    variants = [
        variant
        for product in shop.products
        if product.tracked and "[" not in product.name
        for variant in product.variants
        if variant.barcode and variant.opening_balance >= 3
    ]
    return sorted(variants, key=lambda variant: variant.sku)[0]


def balance_shown(view: TerminalView, sku: str, balance: int, timeout: float = 20.0) -> str:
    """Wait until the row of ``sku`` shows ``balance``."""

    def shows(text: str) -> bool:
        return any(sku in line and str(balance) in line.split() for line in text.splitlines())

    return view.wait_for(shows, timeout, what=f"{sku} with a balance of {balance}")


def filter_to(view: TerminalView, sku: str) -> None:
    """Filter the balances to the one row of ``sku`` (as you type; Enter keeps the filter and goes
    to the table), and wait until the table shows only it: a key typed before that (Enter to
    open a movement) could reach another row on a loaded machine."""
    view.type("/", sku, Keys.ENTER)
    view.wait_for(
        lambda text: "1 of " in text and sku in text, what=f"the balances filtered to {sku}"
    )


def tap(view: TerminalView, label: str, row_with: str) -> None:
    """Tap (click) the on-screen button showing ``label`` on the line that also shows
    ``row_with`` (the row of buttons), at its place on the terminal."""
    view.update()
    row, column = next(
        (number, line.index(label))
        for number, line in enumerate(view.lines)
        if label in line and row_with in line
    )
    screen = view.driver.find_element(By.CSS_SELECTOR, ".xterm-screen")
    width, height = screen.size["width"], screen.size["height"]
    cell_x, cell_y = width / view.screen.columns, height / view.screen.lines
    x = (column + len(label) / 2) * cell_x - width / 2
    y = (row + 0.5) * cell_y - height / 2
    ActionChains(view.driver).move_to_element_with_offset(screen, int(x), int(y)).click().perform()


def api_moves(demo: ServedDemo, variant: DemoVariant) -> list[dict[str, Any]]:
    return [m for m in demo.ledger() if m["source"] == "api" and m["variantUuid"] == variant.uuid]


def test_a_wrong_password_is_refused(served_demo: ServedDemo, browsers) -> None:
    driver = browsers()
    driver.get(served_demo.url + "/")
    assert driver.current_url.endswith("/login")
    driver.find_element(By.ID, "password").send_keys("stockroom-tablet-2")
    driver.find_element(By.ID, "sign-in").click()
    error = WebDriverWait(driver, 20).until(lambda page: page.find_elements(By.ID, "login-error"))
    assert error[0].text == "Wrong password."  # the answer's page, once it has loaded
    assert not driver.find_elements(By.ID, "terminal")  # no app: nothing served but the form
    driver.get(served_demo.url + "/")  # and the app's page still sends back to the form
    assert driver.current_url.endswith("/login")


def test_restock_and_count_scan_reach_the_one_sandbox_and_a_second_tablet_sees_them(
    served_demo: ServedDemo, browsers
) -> None:
    variant = a_variant()
    opening = variant.opening_balance
    locations = served_demo.locations()
    ana = sign_in(browsers(), served_demo, "Ana")
    filter_to(ana, variant.sku)
    balance_shown(ana, variant.sku, opening)  # the balances, in the browser

    # Restock 5 by keyboard: Enter on the row opens a movement with its quantity ready; F2 is
    # the browser's Confirm key (ctrl+s is the browser's "save page" outside the terminal).
    ana.type(Keys.ENTER)
    ana.wait_for("New movement")
    ana.type(Keys.BACKSPACE, "5")
    ana.wait_for(f"{opening} -> {opening + 5}")
    ana.type(Keys.F2)
    balance_shown(ana, variant.sku, opening + 5)
    restock = {
        "fromLocationUuid": locations["SUPPLIER"],
        "toLocationUuid": locations["STORE"],
        "change": 5,
    }
    for _ in range(100):
        moves = api_moves(served_demo, variant)
        if moves:
            break
        time.sleep(0.1)
    assert [{key: move[key] for key in restock} for move in moves] == [restock]

    # A second tablet (its own app process) on the same demo sees Ana's restock.
    bo = sign_in(browsers(), served_demo, "Bo")
    filter_to(bo, variant.sku)
    balance_shown(bo, variant.sku, opening + 5)
    # The keys on the bottom line are buttons too: a tap on one does what the key does.
    tap(bo, "History", row_with="Counts")
    bo.wait_for("u Undo")
    tap(bo, "Back", row_with="Undo")
    balance_shown(bo, variant.sku, opening + 5)

    # A count on Ana's tablet: scan the barcode (digits and Enter in one burst), tap +1, review
    # and commit with F2, confirm with Enter.
    ana.type("c")
    ana.wait_for("Stock counts")
    ana.type("n")
    ana.wait_for("New stock count")
    ana.type(Keys.F2)
    ana.wait_for("Ready: scan an item")
    ana.type(f"{variant.barcode}{Keys.ENTER}")
    ana.wait_for(lambda text: "now 1" in text, what="counted 1")
    tap(ana, "+1", row_with="Undo scan")  # the touch button (a mouse click here)
    ana.wait_for(lambda text: "now 2" in text, what="counted 2 after the tap")
    ana.type(Keys.F2)
    ana.wait_for("Review:")
    ana.type(Keys.F2)
    ana.wait_for("Commit this count?")
    ana.type(Keys.ENTER)
    ana.wait_for("Count posted")
    for _ in range(100):
        moves = api_moves(served_demo, variant)
        if len(moves) == 2:
            break
        time.sleep(0.1)
    correction = moves[-1]
    assert correction["fromLocationUuid"] == locations["STORE"]
    assert correction["change"] == opening + 5 - 2  # counted 2: the rest leaves the shop

    balance_shown(bo, variant.sku, 2)  # Bo's tablet follows the count live

    entries = OutboxJournal(served_demo.state_dir / "outbox.sqlite").entries()
    assert {entry.user for entry in entries if entry.variant_uuid == variant.uuid} == {"Ana"}

    # The count report downloads in the browser (nothing is written on the server).
    ana.type("e")
    downloads = ana.driver.zinv_downloads
    for _ in range(100):
        reports = [path for path in downloads.glob("zinv-count-*.csv")]
        if reports:
            break
        time.sleep(0.1)
    assert reports, f"no report downloaded; the page shows:\n{ana.text}"
    time.sleep(0.2)
    rows = list(csv.DictReader(reports[0].open(encoding="utf-8")))
    assert [(row["sku"], row["counted"]) for row in rows] == [(variant.sku, "2")]
    assert not list(served_demo.root.glob("**/zinv-count-*.csv"))
