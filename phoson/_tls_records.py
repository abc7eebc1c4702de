"""A TLS connection's read that also takes the records that arrived with it.

OpenSSL hands out at most one TLS record per read. A server that writes each event of a
stream as it happens sends each as a record of its own, and a burst of them (the usual case
with many streams, or once the network has held a few back) arrives in one packet: the event
loop's socket read receives them all at once, yet each costs one more trip through the whole
read path above TLS (the timeout scope, the network stream, httpcore's parser): about two
thirds of the client's CPU per event over TLS (bench `realnet`, 200 concurrent streams: 13 µs
of CPU per event with this, against raw httpx's 37-40 µs).

`take_received` takes, after a read, the records already received and decrypted-able in
memory, so that one read returns the whole burst. It never waits and never touches the
socket: a TLS object whose bytes arrive through an in-memory buffer (`ssl.SSLObject`, what
anyio's and trio's TLS streams use, and the blocking client's `phoson._memory_tls`) reads
only that buffer. The pool's `_WatchedTLSStream` applies it to every read.

I/O-free: tests/test_tls_records.py drives it with TLS objects talking through memory.
"""

from __future__ import annotations

import ssl

__all__ = ["take_received"]


def take_received(
    ssl_object: ssl.SSLObject, data: bytes, max_bytes: int
) -> tuple[bytes, ssl.SSLError | None]:
    """`data` (what a read of at most `max_bytes` returned) followed by the plaintext of the
    records `ssl_object` has already received whole, up to `max_bytes` in all; and the error
    of the TLS layer that ended the taking, if one did.

    What does not fit stays for the next read, as does a record only partly received, and the
    end of the TLS session (`close_notify`), which the next read reports. An error (a damaged
    record, an alert) is returned after the records before it, for the caller to raise at its
    next read: the TLS object itself would then report only a broken session.
    """
    parts = [data]
    size = len(data)
    error: ssl.SSLError | None = None
    while size < max_bytes:
        try:
            more = ssl_object.read(max_bytes - size)
        except ssl.SSLWantReadError:
            break  # no whole record left: the usual end
        except ssl.SSLError as exc:
            error = exc
            break
        if not more:
            break  # the peer ended the TLS session: the next read says so
        parts.append(more)
        size += len(more)
    return (data if len(parts) == 1 else b"".join(parts)), error
