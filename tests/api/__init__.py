"""The client's tests: against the sandbox over loopback HTTP, and canned or odd answers."""
