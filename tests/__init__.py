"""The test suite: real parts (the sandbox over loopback HTTP, Pilot), never mocks."""

import sys

# Compiled modules and assertion-rewritten test modules are cached in __pycache__ even where the
# environment sets PYTHONDONTWRITEBYTECODE (this runs before the conftest and any test module):
# otherwise every xdist worker compiles the package and rewrites every test module again (~4 s of
# CPU each), and every child process a test starts compiles what it imports.
sys.dont_write_bytecode = False
