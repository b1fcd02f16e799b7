"""Helpers shared by the test directories (imported as ``tests.support.<module>``)."""
