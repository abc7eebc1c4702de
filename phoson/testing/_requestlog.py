"""The local server's record of recent requests: a ring buffer bounded by count and by bytes,
so a server left running for days holds the latest requests, not all of them."""

from __future__ import annotations

from collections import deque
from typing import NamedTuple

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_MAX_ENTRIES", "RecordedRequest", "RequestLog"]

DEFAULT_MAX_ENTRIES = 1000
DEFAULT_MAX_BYTES = 32 * 1024 * 1024


class RecordedRequest(NamedTuple):
    """One request as it arrived: method, path (still percent-encoded, without the query
    string), headers (names lower-cased) and the raw query string ("" if none)."""

    method: str
    path: str
    headers: dict[str, str]
    query: str = ""


class RequestLog:
    """The latest requests with their bodies, oldest first: at most `max_entries` of them,
    and the oldest are also forgotten while their bodies add up to more than `max_bytes`
    (the newest request is always kept). The caller holds the server's lock."""

    def __init__(
        self, max_entries: int = DEFAULT_MAX_ENTRIES, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> None:
        if max_entries < 1 or max_bytes < 0:
            raise ValueError("a request log keeps at least one request")
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: deque[tuple[RecordedRequest, bytes]] = deque()
        self._bytes = 0

    def append(self, request: RecordedRequest, body: bytes) -> None:
        self._entries.append((request, body))
        self._bytes += len(body)
        while len(self._entries) > 1 and (
            len(self._entries) > self.max_entries or self._bytes > self.max_bytes
        ):
            self._bytes -= len(self._entries.popleft()[1])

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def requests(self) -> list[RecordedRequest]:
        return [request for request, _ in self._entries]

    def bodies(self) -> list[bytes]:
        return [body for _, body in self._entries]
