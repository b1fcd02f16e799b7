"""Tests of the command line: settings, credentials, and every command against the sandbox."""
