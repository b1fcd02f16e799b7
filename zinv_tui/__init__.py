"""zinv-tui: a keyboard-first terminal app for Zettle (PayPal POS) inventory."""

__version__ = "0.1.0"
