"""The TUI tests: the real app under Pilot on a real service and sandbox."""
