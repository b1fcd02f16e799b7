"""The CLI's commands, one module per group; :mod:`zinv_tui.cli` parses and dispatches."""
