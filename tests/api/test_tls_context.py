"""One TLS context per process for every client, with httpx's full verification."""

from __future__ import annotations

import ssl

from zinv_tui.api.client import tls_context


def test_clients_share_one_verifying_tls_context() -> None:
    context = tls_context(trust_env=True)
    assert tls_context(trust_env=True) is context  # loaded once, not per client
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname
    assert context.get_ca_certs()  # the CA bundle is there
    assert tls_context(trust_env=False).verify_mode is ssl.CERT_REQUIRED
