"""`phoson._tls_records.take_received`: a read that also takes the TLS records already received
returns exactly the bytes that reading record by record would, in the same order, never more
than asked for, and ends the same way (still waiting, the session ended, or the same TLS
error, only later); and the event-loop clients use it, so a burst of events over TLS costs a
read or two instead of one an event.

The I/O-free part drives two TLS objects talking through memory (`ssl.MemoryBIO`), as the
event-loop clients' TLS streams do."""

# White-box test: counts the reads of httpcore's network streams (a private module).
# pyright: reportPrivateUsage=false

from __future__ import annotations

import itertools
import ssl
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import httpcore
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phoson import AsyncPhosonClient, PhosonClient, RunDoneEvent, StreamEvent, TokenEvent
from phoson._tls_records import take_received
from tests.budget import examples
from tests.payloads import API_KEY
from tests.scripted_server import Pause, Script, ScriptedServer
from tests.tls import ca_file, server_context

Ending = Literal["open", "close_notify", "damaged"]


class MemoryTLS:
    """A client and a server TLS object with their handshake done, talking through memory."""

    def __init__(self) -> None:
        client_context = ssl.create_default_context(cafile=ca_file())
        self.client_in, client_out = ssl.MemoryBIO(), ssl.MemoryBIO()
        server_in, self.server_out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.client = client_context.wrap_bio(
            self.client_in, client_out, server_hostname="127.0.0.1"
        )
        self.server = server_context().wrap_bio(server_in, self.server_out, server_side=True)
        for _ in range(10):
            for side in (self.client, self.server):
                try:
                    side.do_handshake()
                except ssl.SSLWantReadError:
                    pass
            server_in.write(client_out.read())
            self.client_in.write(self.server_out.read())
        assert self.client.version() is not None and self.server.version() is not None
        # What the handshake left (TLS 1.3 session tickets) is read with the first record.

    def wire(self, payloads: list[bytes], ending: Ending, damaged: int) -> tuple[bytes, int]:
        """The bytes the server sends for `payloads` (a write each: one record, or several
        above 16 KiB) and the ending; and how many payload bytes come before a damage."""
        sizes: list[int] = []
        for payload in payloads:
            self.server.write(payload)
            sizes.append(len(payload))
        wire = bytearray(self.server_out.read())
        intact = sum(sizes)
        if ending == "close_notify":
            try:
                self.server.unwrap()
            except ssl.SSLWantReadError:
                pass  # the server's close_notify is out; it waits for the client's
            wire += self.server_out.read()
        elif ending == "damaged":
            records = list(_records(bytes(wire)))
            start, length = records[damaged % len(records)]
            wire[start + 5 + length // 2] ^= 0x01  # one bit of the record's body
            intact = _plaintext_before(payloads, records, damaged % len(records))
        return bytes(wire), intact


def _records(wire: bytes) -> Iterator[tuple[int, int]]:
    """(offset, body length) of each TLS record in `wire`."""
    offset = 0
    while offset < len(wire):
        length = int.from_bytes(wire[offset + 3 : offset + 5], "big")
        yield offset, length
        offset += 5 + length


def _plaintext_before(payloads: list[bytes], records: list[tuple[int, int]], index: int) -> int:
    """Payload bytes carried by the records before record `index`: each record carries up to
    16 KiB of one write, so count the writes' records in order."""
    carried = 0
    record = 0
    for payload in payloads:
        left = len(payload)
        while left > 0:
            if record == index:
                return carried
            piece = min(left, 16384)
            carried += piece
            left -= piece
            record += 1
    return carried


@dataclass
class Reading:
    """What a reader got: the chunks each read returned, how it ended, how many reads."""

    chunks: list[bytes] = field(default_factory=list[bytes])
    outcome: str = ""
    reads: int = 0
    left_whole_records: bool = False


def read_through(tls: MemoryTLS, deliveries: list[bytes], max_bytes: int, *, take: bool) -> Reading:
    """Read as an event-loop TLS stream does (a read of up to `max_bytes`; when no whole record
    is in memory, the next delivery from the network), with `take_received` after each read
    when `take`; until the deliveries run out, the session ends, or an error."""
    pending = deque(deliveries)
    reading = Reading()
    failure: ssl.SSLError | None = None
    short = False  # the last chunk was shorter than asked for, with no error
    while True:
        if failure is not None:  # what the SDK's stream raises at its next read
            reading.outcome = f"{type(failure).__name__}: {failure.reason}"
            return reading
        try:
            data = tls.client.read(max_bytes)
        except ssl.SSLWantReadError:
            short = False
            if not pending:
                reading.outcome = "waiting"
                return reading
            tls.client_in.write(pending.popleft())
            continue
        except ssl.SSLError as exc:
            reading.outcome = f"{type(exc).__name__}: {exc.reason}"
            return reading
        if take and short and data:
            reading.left_whole_records = True  # a take left a whole record behind
        if not data:
            reading.outcome = "ended"
            return reading
        reading.reads += 1
        if take:
            data, failure = take_received(tls.client, data, max_bytes)
        reading.chunks.append(data)
        short = len(data) < max_bytes and failure is None


def _long(size: int) -> bytes:
    """A payload above a record's 16 KiB: TLS sends it in two records."""
    return bytes(range(256)) * (size // 256) + b"x" * (size % 256)


payload_lists = st.lists(
    st.one_of(st.binary(min_size=1, max_size=300), st.integers(16_385, 20_000).map(_long)),
    min_size=1,
    max_size=40,
)


@settings(max_examples=examples(200))
@given(
    payloads=payload_lists,
    cuts=st.lists(st.floats(min_value=0, max_value=1), max_size=12),
    max_bytes=st.one_of(st.integers(1, 200), st.just(65_536)),
    ending=st.sampled_from(["open", "close_notify", "damaged"]),
    damaged=st.integers(0, 100),
)
def test_taking_received_records_reads_what_record_by_record_reads(
    payloads: list[bytes], cuts: list[float], max_bytes: int, ending: Ending, damaged: int
) -> None:
    """For any records, delivered from the network in any pieces, read in reads of any size,
    and ended in any way: the reads with `take_received` return the same bytes in the same
    order as reads of a record at a time, each at most `max_bytes`, in no more reads, and end
    the same way (a damaged record: the same error, after the records before it); a read that
    returns less than asked for left no whole record behind."""
    readings: dict[bool, Reading] = {}
    for take in (False, True):
        tls = MemoryTLS()
        wire, intact = tls.wire(payloads, ending, damaged)
        points = sorted({int(cut * len(wire)) for cut in cuts} | {0, len(wire)})
        deliveries = [wire[a:b] for a, b in itertools.pairwise(points) if b > a]
        reading = readings[take] = read_through(tls, deliveries, max_bytes, take=take)
        assert b"".join(reading.chunks) == b"".join(payloads)[:intact]
        assert all(0 < len(chunk) <= max_bytes for chunk in reading.chunks)
    plain, taken = readings[False], readings[True]
    assert taken.outcome == plain.outcome
    assert {"open": "waiting", "close_notify": "ended"}.get(ending, taken.outcome) == (
        taken.outcome
    )
    if ending == "damaged":
        assert taken.outcome.startswith("SSLError: ")  # the damage itself, not a broken session
    assert taken.reads <= plain.reads
    assert not taken.left_whole_records


def test_a_burst_of_records_is_one_read() -> None:
    """Fifty records received at once are one read of the SDK's TLS stream, not fifty."""
    tls = MemoryTLS()
    wire, _ = tls.wire([b"event %d\n" % n for n in range(50)], "open", 0)
    reading = read_through(tls, [wire], 65_536, take=True)
    assert reading.reads == 1
    assert reading.chunks == [b"".join(b"event %d\n" % n for n in range(50))]


# -- the event-loop clients use it -------------------------------------------------------------


@pytest.fixture
def network_reads(monkeypatch: pytest.MonkeyPatch, anyio_backend: str) -> list[int]:
    """Counts the reads of httpcore's network streams (the event loop's, under the SDK's pool)."""
    counted: list[int] = []
    if anyio_backend == "trio":
        from httpcore._backends.trio import TrioStream as Stream
    else:
        from httpcore._backends.anyio import AnyIOStream as Stream  # type: ignore[assignment]
    read = Stream.read

    async def counting_read(
        self: Any,
        max_bytes: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
    ) -> bytes:
        data = await read(self, max_bytes, timeout)
        counted.append(len(data))
        return data

    monkeypatch.setattr(Stream, "read", counting_read)
    return counted


BURST = 500


def busy_until_written(server: ScriptedServer) -> None:
    """User code busy (the event loop blocked, reading nothing) until the server has written
    its last answer whole, and a moment more for the bytes to arrive."""
    connection = server.connections[-1]
    deadline = time.monotonic() + 10
    while not connection.completed and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)


def burst_script() -> Script:
    """A first event, then (while user code is busy) `BURST` more and the final one."""
    token = b'event: token\ndata: {"content": "%d "}\n\n'
    return Script(
        parts=[
            token % 0,
            Pause(0.05),
            *[token % n for n in range(1, BURST + 1)],
            b'event: run_done\ndata: {"content": "", "run_id": "run_1"}\n\n',
        ],
        end="end",
    )


class BurstReader:
    """User code of the burst tests: keeps each token's text; after the first one, is busy
    until the server has written the burst, then notes how many network reads were made."""

    def __init__(self, server: ScriptedServer, network_reads: list[int]) -> None:
        self._server = server
        self._reads = network_reads
        self._reads_before = 0
        self.got: list[str] = []

    def took(self, event: StreamEvent) -> bool:
        """Handle one event; False at the final one."""
        if isinstance(event, TokenEvent):
            self.got.append(event.content)
            if len(self.got) == 1:
                busy_until_written(self._server)
                self._reads_before = len(self._reads)
        return not isinstance(event, RunDoneEvent)

    def check(self) -> None:
        """Each event once, in order; the burst in a few reads."""
        assert self.got == [f"{n} " for n in range(BURST + 1)]
        burst_reads = len(self._reads) - self._reads_before
        assert burst_reads <= 10, f"{burst_reads} reads for a burst of {BURST} events"


async def test_a_burst_of_events_over_tls_takes_a_few_reads(
    tls_server: ScriptedServer, network_reads: list[int]
) -> None:
    """500 events that arrived while user code was busy are read in a few reads of the
    network (each TLS record used to be a read of its own), and each reaches user code once."""
    tls_server.add(burst_script())
    reader = BurstReader(tls_server, network_reads)
    async with (
        AsyncPhosonClient(api_key=API_KEY, base_url=tls_server.url, timeout=30) as client,
        client.messages.stream("conv_1", "hi") as stream,
    ):
        async for event in stream:
            if not reader.took(event):
                break
    reader.check()


def test_a_burst_of_events_over_tls_takes_a_few_reads_in_the_blocking_client(
    tls_server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same for `PhosonClient`, whose TLS runs over in-memory buffers too
    (`phoson._memory_tls`): a few reads of the socket for the burst, not one (two system calls)
    per record."""
    from httpcore._backends.sync import SyncStream

    network_reads: list[int] = []
    read = SyncStream.read

    def counting_read(self: SyncStream, max_bytes: int, timeout: float | None = None) -> bytes:
        data = read(self, max_bytes, timeout)
        network_reads.append(len(data))
        return data

    monkeypatch.setattr(SyncStream, "read", counting_read)
    tls_server.add(burst_script())
    reader = BurstReader(tls_server, network_reads)
    with (
        PhosonClient(api_key=API_KEY, base_url=tls_server.url, timeout=30) as client,
        client.messages.stream("conv_1", "hi") as stream,
    ):
        for event in stream:
            if not reader.took(event):
                break
    reader.check()


class _FailingStream:
    """A network stream whose reads and writes fail as an asyncio TLS stream's can: with the
    TLS layer's own `ssl.SSLError` (httpcore passes it through unmapped)."""

    def __init__(self, ssl_object: ssl.SSLObject) -> None:
        self._ssl_object = ssl_object

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        raise ssl.SSLError(1, "[SSL: SSLV3_ALERT_BAD_RECORD_MAC] sslv3 alert bad record mac")

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        raise ssl.SSLError(1, "[SSL: BAD_LENGTH] bad length")

    async def aclose(self) -> None:
        pass

    def get_extra_info(self, info: str) -> Any:
        return self._ssl_object if info == "ssl_object" else None


async def test_tls_errors_of_reads_and_writes_are_httpcore_errors() -> None:
    """The pool's TLS stream turns the TLS layer's errors into httpcore's `ReadError` and
    `WriteError` (which httpx makes `httpx.ReadError`/`WriteError`, and the SDK a broken
    connection), chaining the original."""
    from phoson._async._pool import _WatchedTLSStream

    tls = MemoryTLS()
    stream = _WatchedTLSStream(_FailingStream(tls.client), tls.client)  # type: ignore[arg-type]
    with pytest.raises(httpcore.ReadError, match="bad record mac") as read:
        await stream.read(65_536)
    assert isinstance(read.value.__cause__, ssl.SSLError)
    with pytest.raises(httpcore.WriteError, match="bad length") as write:
        await stream.write(b"GET / HTTP/1.1\r\n\r\n")
    assert isinstance(write.value.__cause__, ssl.SSLError)
