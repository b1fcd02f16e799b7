"""Zettle's Inventory API v3: its calls, its decoders and the service's backend on it."""
