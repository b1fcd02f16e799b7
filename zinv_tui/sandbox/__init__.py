"""A local server that behaves like the documented Zettle Inventory API (see README.md here).

It stands apart from the app: it imports only :mod:`zinv_tui.api.models`, and only tests,
benchmarks, the CLI and the demo launcher import it. Entry points live in
:mod:`zinv_tui.sandbox.server` (``SandboxServer``, ``SandboxConfig``, ``SandboxInfo``,
``serve_from_args``).
"""
