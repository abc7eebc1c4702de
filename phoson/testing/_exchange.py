"""One request through the local server, with no I/O: the steps that the HTTP layer (`_http.py`)
and the in-process transports (`_transport.py`) share, so both serve exactly the same thing.

1. `admit`: record the request and take the armed faults that apply to it.
2. `answer`: the response (an injected fault's, or the API's), a `StreamPlan`, or None for
   "close the connection without answering".
3. `StreamWriter`: a stream's bytes in order, with the pauses between them; the caller writes
   the bytes, waits the pauses, and reports how the stream ended.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from dataclasses import dataclass

from ._app import App, RecordedRequest, Response, StreamPlan, dumps, is_stream_request, new_id
from ._faults import Fault

__all__ = [
    "PING",
    "PREAMBLE",
    "STREAM_HEADERS",
    "Admission",
    "StreamWriter",
    "admit",
    "answer",
    "body_headers",
    "new_request_id",
    "too_large",
]

PREAMBLE = b"retry: 100\n\n: ping\n\n"
PING = b": ping\n\n"
STREAM_HEADERS = (
    ("content-type", "text/event-stream"),
    ("cache-control", "no-cache"),
    ("x-accel-buffering", "no"),
)


def new_request_id() -> str:
    return new_id("req")


@dataclass(frozen=True, slots=True)
class Admission:
    """A recorded request and the faults it drew: wait `delay` seconds, then `answer` it."""

    method: str
    target: str
    path: str
    headers: dict[str, str]
    body: bytes
    delay: float
    fault: Fault | None


def admit(app: App, method: str, target: str, headers: dict[str, str], body: bytes) -> Admission:
    """Record the request and take its faults (the oldest armed ones that match it)."""
    path, _, query = target.partition("?")
    stream = is_stream_request(method, path, headers, body)
    with app.lock:
        app.requests.append(RecordedRequest(method, path, headers, query), body)
        delay = app.faults.take_delay(path)
        fault = app.faults.take_for_request(path, stream)
    return Admission(method, target, path, headers, body, delay, fault)


def answer(
    app: App, admission: Admission, *, verbose: bool = False
) -> Response | StreamPlan | None:
    """What to send: the injected fault's response, else the API's; None means drop the
    connection without a byte. A bug in the API answers 500 instead of killing the server."""
    fault = admission.fault
    if fault is not None and fault.kind == "drop":
        return None
    if fault is not None:
        return app.fault_response(fault, admission.method, admission.path)
    try:
        return app.handle(admission.method, admission.target, admission.headers, admission.body)
    except Exception:
        if verbose:
            traceback.print_exc()
        return Response(500, dumps({"detail": "Internal Server Error"}))


def too_large() -> Response:
    """The answer to a body over the server's `max_body_size`."""
    return Response(413, dumps({"detail": "Request body too large"}))


def body_headers(response: Response) -> list[tuple[str, str]]:
    """A whole response's headers: its own, then content-type and content-length."""
    headers = list(response.headers)
    if response.body is not None:
        if response.content_type is not None:
            headers.append(("content-type", response.content_type))
        headers.append(("content-length", str(len(response.body))))
    return headers


class StreamWriter:
    """A stream being sent. Iterating gives `bytes` to send and `float`s, seconds to pause
    before the next piece (0.0: no wait, only a chance to notice that the client left).

    Creating one counts an active stream and takes the stream faults (cut, corrupted event)
    armed for `path`; the sender calls `finish` exactly once with how the stream ended.
    After iterating to the end, `cut` says whether a `cut_stream_after` fault ended it: the
    sender must then break the connection instead of ending the body properly.
    """

    def __init__(self, app: App, plan: StreamPlan, path: str) -> None:
        self._app = app
        self._plan = plan
        with app.lock:
            faults = app.faults.take_for_stream(path)
            app.active_streams += 1
            self._epoch = app.epoch  # how it ends counts only if no reset came in between
        self._cut_after = faults.cut_after
        self._malformed = faults.malformed
        self._stall_after = faults.stall_after
        self._stall_seconds = faults.stall_seconds
        self._finished = False
        self._final_sent = False  # the run's last event has been handed to the sender
        self.cut = False

    def __iter__(self) -> Iterator[bytes | float]:
        run, cut_after = self._plan.run, self._cut_after
        if cut_after == 0:
            self.cut = True
            return
        if run.raw is not None:
            yield run.raw
            self.cut = cut_after is not None
            return
        # Read once: a change to the server's settings applies to the next stream.
        delay = run.delay if run.delay is not None else self._app.event_delay
        ping_interval = self._app.ping_interval
        indexes = range(self._plan.after, len(run.events))
        spoiled = next((i for i in indexes if run.events[i][0] == "token"), self._plan.after)
        yield PREAMBLE
        if self._stall_after == 0:
            yield self._stall_seconds  # silence: not even a ping
        for written, index in enumerate(indexes):
            if written and delay > 0:
                yield from _pause(delay, ping_interval)
            elif delay > 0 or ping_interval:
                yield 0.0
            self._final_sent = index == len(run.events) - 1
            yield run.frame(index, self._malformed if index == spoiled else None)
            if cut_after is not None and written + 1 >= cut_after:
                self.cut = True
                return
            if self._stall_after == written + 1:
                yield self._stall_seconds  # silence: not even a ping

    def finish(self, outcome: str, *, count_disconnect: bool = True) -> None:
        """Record how the stream ended: "completed", "cut" or "disconnected" (the client went
        away; counted unless `count_disconnect` is false, e.g. while the server stops).
        Later calls do nothing."""
        if self._finished:
            return
        self._finished = True
        if outcome == "disconnected" and self._final_sent:
            # The client went away after the run's last event: the run was delivered (the SDK
            # closes a stream at its final event, without waiting for the end of the body).
            outcome = "completed"
        with self._app.lock:
            self._app.active_streams -= 1
            if self._epoch != self._app.epoch:
                return  # started before the last reset: that test's, not this one's
            if outcome == "completed":
                self._app.streams_completed += 1
            elif outcome == "disconnected" and count_disconnect:
                self._app.disconnects += 1


def _pause(seconds: float, ping_interval: float | None) -> Iterator[bytes | float]:
    """Wait `seconds` between two events, with a `: ping` every `ping_interval`."""
    remaining = seconds
    while ping_interval and remaining > ping_interval:
        yield ping_interval
        yield PING
        remaining -= ping_interval
    yield remaining
