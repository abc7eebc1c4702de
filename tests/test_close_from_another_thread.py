"""`close()` from another thread while the blocking reader hands out a chunk of several events
(found by the stream machine, tests/test_stream_machine.py, on CPython 3.12): once `close()`
has returned, no event of that chunk is delivered, and the resume point is the last event the
reader did hand out. The async client has no such window: its reader does not yield between
taking a chunk and handing it out."""

# White-box test: holds the reader at the moment it lets go of the stream's closer.
# pyright: reportPrivateUsage=false

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from phoson import PhosonClient, StreamEvent, TokenEvent
from phoson._stream_closer import StreamCloser
from tests.concurrency import poll_until
from tests.payloads import API_KEY, BASE_URL, RecordingStream, sse

EVENTS = [
    ("token", {"content": "a"}),
    ("token", {"content": "b"}),
    ("token", {"content": "c"}),
    ("run_done", {"content": "abc", "run_id": "run_1"}),
]


@pytest.fixture
def client() -> Iterator[PhosonClient]:
    """A client whose stream answers the whole run in one chunk."""

    def reply(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            headers={"content-type": "text/event-stream"},
            stream=RecordingStream([sse(EVENTS)]),
        )

    http = httpx.Client(transport=httpx.MockTransport(reply))
    with PhosonClient(api_key=API_KEY, base_url=BASE_URL, http_client=http) as client:
        yield client


def test_close_while_the_reader_hands_out_a_chunk_delivers_nothing_after(
    client: PhosonClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader decodes the chunk's four events and, before it lets go of the closer,
    another thread calls close() (which then waits for it): the reader returns the first
    event, and after close() has returned the stream delivers nothing more; a resume would go
    on after the first event, the last one handed out."""
    stream = client.messages.stream("conv_1", "hi")
    closing: list[threading.Thread] = []
    release = StreamCloser.release

    def release_after_close_began(closer: StreamCloser) -> None:
        try:
            if closer is stream._closer and not closing:
                # close() in another thread: it marks the stream closing, then waits for this
                # hold (given a moment to get there).
                closing.append(threading.Thread(target=stream.close, daemon=True))
                closing[0].start()
                assert poll_until(lambda: stream.closed, 5)
                time.sleep(0.05)
        finally:
            release(closer)

    monkeypatch.setattr(StreamCloser, "release", release_after_close_began)
    first = next(iter(stream))
    closing[0].join(5)
    assert not closing[0].is_alive()
    assert first == TokenEvent(content="a")
    rest: list[StreamEvent] = list(stream)
    assert rest == []
    assert stream.closed
    assert stream._delivered_event_id() == "run_1:1"
