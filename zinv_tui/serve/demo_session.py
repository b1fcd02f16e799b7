"""One browser tab of ``zinv-tui serve --demo``: the app on the demo sandbox the server runs.

The server starts ONE sandbox (one writer of the demo ledger) and hands its address to every tab's
process in the environment; each tab connects to it like any shop, over loopback HTTP, with the
demo's local state (outbox, history, counts) shared through its SQLite files.

    python -m zinv_tui.serve.demo_session      # run by the server, once per browser tab
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

URL_VARIABLE = "ZINV_SERVE_DEMO_URL"
KEY_VARIABLE = "ZINV_SERVE_DEMO_KEY"
CLIENT_VARIABLE = "ZINV_SERVE_DEMO_CLIENT_ID"
STATE_VARIABLE = "ZINV_SERVE_DEMO_STATE_DIR"
USAGE = 2
"""Exit code when started without the server's sandbox (``ExitCode.USAGE``)."""


@dataclass(frozen=True)
class DemoSandbox:
    """Where the served demo's sandbox listens, how to log in, and the demo's state dir."""

    url: str
    api_key: str = field(repr=False)
    client_id: str
    state_dir: Path

    def environment(self) -> dict[str, str]:
        """The variables that hand it to each tab's process."""
        return {
            URL_VARIABLE: self.url,
            KEY_VARIABLE: self.api_key,
            CLIENT_VARIABLE: self.client_id,
            STATE_VARIABLE: str(self.state_dir),
        }

    @classmethod
    def from_environment(cls) -> DemoSandbox | None:
        values = [
            os.environ.get(name, "")
            for name in (URL_VARIABLE, KEY_VARIABLE, CLIENT_VARIABLE, STATE_VARIABLE)
        ]
        if not all(values):
            return None
        url, key, client, state = values
        return cls(url, key, client, Path(state))


def main() -> int:
    """Open the app on the served demo's sandbox; returns the exit code."""
    sandbox = DemoSandbox.from_environment()
    if sandbox is None:
        print(
            "zinv-tui: this is started by `zinv-tui serve --demo` for each browser tab",
            file=sys.stderr,
        )
        return USAGE
    from zinv_tui import redaction
    from zinv_tui.build import ShopAccess, open_inventory
    from zinv_tui.ui.launch import DEMO_POLL_INTERVAL, build_app

    redaction.install()
    service = open_inventory(
        ShopAccess.local(sandbox.url, sandbox.api_key, sandbox.client_id),
        state_dir=sandbox.state_dir,
        poll_interval=DEMO_POLL_INTERVAL,
    )
    app = build_app(service, demo=True)
    app.run()
    return int(app.return_code or 0)


if __name__ == "__main__":
    sys.exit(main())
