"""Errors of configuration and credentials, each a sentence the user can act on."""

from __future__ import annotations


class ConfigError(Exception):
    """A setting is missing or has a value that is not allowed (the CLI exits with 2)."""


class CredentialsError(Exception):
    """No usable API key for a profile (the CLI exits with 3)."""
