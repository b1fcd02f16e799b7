"""Reusable widgets of the TUI (one module per widget)."""
