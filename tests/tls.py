"""TLS for tests: a certificate authority and a server certificate for 127.0.0.1, made in
memory once per test process (`trustme`), and the file a client trusts them from."""

from __future__ import annotations

import functools
import ssl
import tempfile
import threading

import trustme

__all__ = ["ca_file", "server_context"]


_made = threading.Lock()


@functools.cache
def _made_authority() -> trustme.CA:
    return trustme.CA()


def _authority() -> trustme.CA:
    """The one authority of this process. (`functools.cache` alone lets two threads that ask
    first at the same moment make two: a server thread's certificate would then be signed by
    an authority the client does not trust.)"""
    with _made:
        return _made_authority()


@functools.cache
def server_context() -> ssl.SSLContext:
    """A server-side context presenting a certificate for 127.0.0.1 and localhost."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate = _authority().issue_cert("127.0.0.1", "localhost")
    # What `certificate.configure_cert(context)` does, typed (its signature names pyOpenSSL's
    # context, which is not installed).
    with certificate.private_key_and_cert_chain_pem.tempfile() as path:
        context.load_cert_chain(path)
    return context


@functools.cache
def ca_file() -> str:
    """A PEM file with the authority's certificate: point SSL_CERT_FILE at it and httpx (so
    phoson's own connection pool) trusts the test server."""
    with tempfile.NamedTemporaryFile(prefix="phoson-test-ca-", suffix=".pem", delete=False) as pem:
        pem.write(_authority().cert_pem.bytes())
    return pem.name
