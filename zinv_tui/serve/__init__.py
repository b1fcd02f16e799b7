"""``zinv-tui serve``: the app in a browser on the shop's network (textual-serve).

- :mod:`.password`: the serve password, stored as a slow scrypt hash in the config dir (0600).
- :mod:`.web`: the web server: textual-serve's routes behind a login page (a session cookie),
  checked before any app process starts; one app process per browser tab.
- :mod:`.session`: what each tab runs (``python -m zinv_tui.serve.session``): the app on the
  profile, or on the one demo sandbox the server started, asking first who is working.

Layering: this package sits beside ``ui`` (it starts the app); it never imports ``api`` or
``commands``, and nothing below it imports it. ``commands/serve.py`` is the command line.
"""
