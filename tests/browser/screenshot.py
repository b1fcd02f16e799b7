"""The README's picture of the app in a browser: ``zinv-tui serve --demo`` in headless Chromium at
1024x768, a count in progress on the stockroom tablet, saved as a PNG.

    python -m tests.browser.screenshot [--out screenshots/browser-count.png]

Needs the OS's ``chromium`` and ``chromium-driver`` (as the browser tests do); the served demo
runs in a temporary directory, so no real profile or demo ledger is touched.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from selenium.webdriver.common.keys import Keys

from tests.browser.chromium import start_chromium, stop_chromium
from tests.browser.served import DEMO_PRODUCTS, serve_demo, sign_in
from zinv_tui.sandbox.demo_data import generate_shop

DEFAULT_OUT = Path(__file__).resolve().parents[2] / "screenshots" / "browser-count.png"


def barcodes(count: int) -> list[str]:
    """Barcodes of tracked variants of the served demo, in SKU order."""
    shop = generate_shop(DEMO_PRODUCTS, seed=1)
    variants = sorted(
        (
            variant
            for product in shop.products
            if product.tracked and "[" not in product.name
            for variant in product.variants
            if variant.barcode
        ),
        key=lambda variant: variant.sku,
    )
    return [str(variant.barcode) for variant in variants[:count]]


def capture(out: Path) -> Path:
    """Count three scans (one item twice) as Ana, and save the page."""
    with tempfile.TemporaryDirectory(prefix="zinv-screenshot-") as folder:
        root = Path(folder)
        with serve_demo(root / "served") as demo:
            downloads = root / "downloads"
            downloads.mkdir()
            driver = start_chromium(downloads)
            try:
                view = sign_in(driver, demo, "Ana")
                view.type("c")
                view.wait_for("Stock counts")
                view.type("n")
                view.wait_for("New stock count")
                view.type("Shelf A", Keys.F2)
                view.wait_for("Ready: scan an item")
                first, second = barcodes(2)
                for code in (first, second, first):
                    view.type(f"{code}{Keys.ENTER}")
                    view.wait_for(lambda text, code=code: "now" in text, what="a counted scan")
                view.wait_for(lambda text: "now 2" in text, what="the second scan of one item")
                out.parent.mkdir(parents=True, exist_ok=True)
                driver.save_screenshot(str(out))
            finally:
                stop_chromium(driver)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the PNG to write")
    print(capture(parser.parse_args().out))


if __name__ == "__main__":
    main()
