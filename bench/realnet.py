"""Real network: TLS with a certificate made at run time, and a fixed round-trip time between
client and server (issue 26). Every other benchmark runs over plaintext loopback, where a new
connection costs microseconds; here it costs a TCP and a TLS handshake, as it does for users.

The network runs in its own process (`python -m bench.realnet --serve RTT CERTDIR`), so its CPU
is not charged to the clients:

- a small asyncio SSE server over TLS, with a certificate for `127.0.0.1` from an authority made
  at run time (`trustme`; the clients trust it through `SSL_CERT_FILE`, which httpx reads). It
  answers phoson's `POST /conversations/events-K/messages` with K token events and `run_done`,
  and openai's `POST /chat/completions` (`model` = `events-K`) with K chat-completion chunks, a
  `stop` chunk and `[DONE]`, each body ended in the same write as its final event;
- in front of it, a userspace TCP proxy on loopback that delays every byte, each direction, by
  half the round-trip time (default 40 ms: 20 ms each way), keeping the bytes' order. The
  kernel's netem would do the same, but a qdisc on `lo` delays every loopback packet of the
  machine (other programs' included) and needs root: `--netem` is not offered on shared
  machines, and the proxy is the default everywhere.

The server counts the TLS connections each client opened (a connection is attributed to the
`User-Agent` of its first request), the proxy the TCP connections; each row's notes give both.

Measurements, each client in a fresh interpreter (`python -m bench.realnet --child SPEC`):

- **chat**: one client, 20 sequential turns (`--quick`: 8), each streaming a 50-token reply and
  read to its final event, as a chat app does. Time to first token (TTFT) per turn, from the call
  to the first token in user code, and the session's total. Turn 1 opens the connection (TCP and
  TLS handshakes, 2 round trips more); turns 2..20 should reuse it. Clients: phoson's
  `messages.stream`, raw `httpx` (`client.stream` + `aiter_lines`, read to the end of the body,
  so its connection is kept), openai-python's streaming chat completions. 5 rounds (`--quick`:
  2), each client once a round, the order rotating; TTFT percentiles pool every round's turns
  2..N, the total is the median of the rounds.
- **concurrency**: 200 concurrent streams of 1,000 events (`--quick`: 50) over TLS through the
  same proxy. phoson and raw httpx (limits 1,000/100, as phoson's) take turns batch by batch in
  one process (7 rounds, `--quick`: 3, order alternating): CPU per event (process CPU time over
  a batch / its events) and wall per batch; the ratio is the median of each round's own ratio.
- **blocking**: the blocking clients over the same network, as a WSGI server's worker threads
  use them: 16 threads each reading 4 streams of 1,000 events (the same with `--quick`),
  `PhosonClient` and raw `httpx.Client` (`iter_lines` + `json.loads`) taking turns batch by
  batch in one process (7 rounds, `--quick`: 3): CPU per event.
"""

from __future__ import annotations

import asyncio
import json
import os
import ssl
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

if __package__ in (None, ""):  # `python bench/realnet.py`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench._util import REPO, Row, median, paired_ratio, percentile, row

__all__ = ["run"]

#: Seconds, client to server and back (`PHOSON_BENCH_RTT_MS` overrides it).
RTT = float(os.environ.get("PHOSON_BENCH_RTT_MS", "40")) / 1000
KINDS = ("phoson", "httpx", "openai")
NAMES = {"phoson": "phoson", "httpx": "raw httpx", "openai": "openai-python"}
#: A connection's client, from the `User-Agent` of its first request.
AGENTS = (("phoson", "phoson"), ("openai", "openai"), ("httpx", "python-httpx"))
CHAT_TOKENS = 50

# -- the network (its own process): the TLS server and the delaying proxy --------------------

_TOKEN = b'event: token\ndata: {"content":"hi "}\nid: %d\n\n'
_DONE = b'event: run_done\ndata: {"content":"hi","run_id":"run_bench"}\nid: %d\n\n'
_CHUNK = (
    b'data: {"id":"c","object":"chat.completion.chunk","created":0,"model":"m",'
    b'"choices":[{"index":0,"delta":{"content":"hi "},"finish_reason":null}]}\n\n'
)
_STOP = (
    b'data: {"id":"c","object":"chat.completion.chunk","created":0,"model":"m",'
    b'"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n'
)


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


class _Network:
    """The server, the proxy and their counters."""

    def __init__(self, rtt: float) -> None:
        self.delay = rtt / 2
        self.tls: Counter[str] = Counter()  # TLS connections per client
        self.tcp = 0  # TCP connections the proxy accepted
        self.server_port = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        counted = False
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.split(b"\r\n")
                path = lines[0].split(b" ")[1].decode()
                length = 0
                agent = ""
                for line in lines[1:]:
                    name, _, value = line.partition(b":")
                    name = name.strip().lower()
                    if name == b"content-length":
                        length = int(value)
                    elif name == b"user-agent":
                        agent = value.decode().strip().lower()
                if not counted:
                    kind = next((k for k, mark in AGENTS if mark in agent), agent or "?")
                    self.tls[kind] += 1
                    counted = True
                body = await reader.readexactly(length) if length else b""
                openai = path.endswith("/chat/completions")
                mode = json.loads(body)["model"] if openai else path.split("/")[2]
                count = int(mode.partition("-")[2])
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                    b"transfer-encoding: chunked\r\n\r\n"
                )
                for n in range(1, count + 1):
                    writer.write(_chunk(_CHUNK if openai else _TOKEN % n))
                    if n % 64 == 0:
                        await writer.drain()
                final = _STOP if openai else _DONE % (count + 1)
                writer.write(_chunk(final) + b"0\r\n\r\n")  # the body ends with its final event
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        except ssl.SSLError:
            pass
        finally:
            writer.close()

    async def proxy(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One client connection: to the server, each direction delayed by `delay`."""
        self.tcp += 1
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.server_port)
        except OSError:
            writer.close()
            return
        for stream in (writer, up_writer):
            sock = stream.get_extra_info("socket")
            if sock is not None:
                import socket

                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Copy `reader` to `writer`, each chunk written `delay` after it was read, in order."""
        loop = asyncio.get_running_loop()
        queue: list[tuple[float, bytes | None]] = []
        timer: asyncio.TimerHandle | None = None

        def flush() -> None:
            nonlocal timer
            timer = None
            now = loop.time()
            while queue and queue[0][0] <= now:
                data = queue.pop(0)[1]
                if data is None:
                    writer.close()
                    return
                if not writer.is_closing():
                    writer.write(data)
            if queue:
                timer = loop.call_at(queue[0][0], flush)

        try:
            while True:
                data = await reader.read(65536)
                queue.append((loop.time() + self.delay, data or None))
                if timer is None:
                    timer = loop.call_at(queue[0][0], flush)
                if not data:
                    return
        except (ConnectionError, OSError):
            queue.append((loop.time() + self.delay, None))
            if timer is None:
                timer = loop.call_at(queue[0][0], flush)


async def _network(rtt: float, certdir: str) -> None:
    network = _Network(rtt)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(os.path.join(certdir, "server.pem"))
    server = await asyncio.start_server(network.handle, "127.0.0.1", 0, ssl=context, backlog=4096)
    network.server_port = server.sockets[0].getsockname()[1]
    front = await asyncio.start_server(network.proxy, "127.0.0.1", 0, backlog=4096)
    port = front.sockets[0].getsockname()[1]
    print(f"listening on https://127.0.0.1:{port}", flush=True)
    loop = asyncio.get_running_loop()
    commands = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(commands), sys.stdin)
    while await commands.readline():  # "stats": the counters; end of input: stop
        print(json.dumps({"tls": dict(network.tls), "tcp": network.tcp}), flush=True)
    os._exit(0)  # connections still open are dropped with the process


def _certificates(directory: str) -> str:
    """An authority and a server certificate for 127.0.0.1, made now; the authority's file."""
    import trustme

    authority = trustme.CA()
    authority.issue_cert("127.0.0.1", "localhost").private_key_and_cert_chain_pem.write_to_path(
        os.path.join(directory, "server.pem")
    )
    ca_file = os.path.join(directory, "ca.pem")
    authority.cert_pem.write_to_path(ca_file)
    return ca_file


class _NetworkProcess:
    """`python -m bench.realnet --serve RTT CERTDIR` in a child process, and its counters."""

    def __init__(self, rtt: float, certdir: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.realnet", "--serve", str(rtt), certdir],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if "listening on " not in line:
            self.close()
            raise RuntimeError(f"the network process did not start: {line!r}")
        self.url = line.split("listening on ", 1)[1].strip()

    def stats(self) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("stats\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())  # type: ignore[no-any-return]

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# -- the clients (each measurement in a fresh process) ----------------------------------------


async def _chat(kind: str, url: str, turns: int) -> dict[str, Any]:
    """`turns` sequential streamed replies on one client: TTFT per turn, total, CPU."""
    from bench.scale import _with_client

    ttft: list[float] = []
    # Imports are not a turn's work: a chat app has made them before its first message. (The
    # client classes themselves: `import phoson` alone defers the client's modules to first
    # use, about 0.1 s of CPU that counted in phoson's first turn before 2026-12-05.)
    if kind == "phoson":
        from phoson import AsyncPhosonClient  # noqa: F401
    elif kind == "openai":
        from openai import AsyncOpenAI  # noqa: F401
    import httpx  # noqa: F401

    cpu_turns: list[float] = []  # process CPU time at the end of each turn

    async def session(stream: Callable[[str, Callable[[], None]], Awaitable[int]]) -> float:
        started = time.perf_counter()
        for _ in range(turns):
            asked = time.perf_counter()
            events = await stream(
                f"events-{CHAT_TOKENS}",
                lambda asked=asked: ttft.append(time.perf_counter() - asked),
            )
            assert events >= CHAT_TOKENS, (kind, events)
            cpu_turns.append(time.process_time())
        return time.perf_counter() - started

    cpu = time.process_time()
    total = await _with_client(kind, url, session)
    later = (cpu_turns[-1] - cpu_turns[0]) / (turns - 1) if turns > 1 else 0.0
    return {"ttft": ttft, "total": total, "cpu": time.process_time() - cpu, "cpu_turn": later}


async def _alternating(url: str, spec: dict[str, Any]) -> dict[str, Any]:
    """phoson and raw httpx taking turns, batch by batch: CPU per event and wall per batch."""
    from bench.scale import _limited, _with_clients

    figures: dict[str, dict[str, list[float]]] = {}
    errors: Counter[str] = Counter()

    async def work(streams: dict[str, Any]) -> None:
        async def batch(kind: str) -> dict[str, Any]:
            started = time.perf_counter()
            result = await _limited(streams[kind], spec)
            result["wall"] = time.perf_counter() - started
            for name, number in result["errors"].items():
                errors[f"{NAMES[kind]} {name}"] += number
            return result

        for kind in streams:  # warm-up: connections, imports, model builds
            await batch(kind)
        for index in range(spec["rounds"]):
            kinds = list(streams)
            for kind in kinds[index % 2 :] + kinds[: index % 2]:
                result = await batch(kind)
                if result["events"]:
                    mine = figures.setdefault(kind, {"cpu": [], "wall": []})
                    mine["cpu"].append(result["cpu"] / result["events"])
                    mine["wall"].append(result["wall"])

    await _with_clients(["phoson", "httpx"], url, work)
    return {"figures": figures, "errors": dict(errors)}


def _blocking(url: str, spec: dict[str, Any]) -> dict[str, Any]:
    """`PhosonClient` and raw `httpx.Client` taking turns, batch by batch: `threads` threads
    each reading `per_thread` streams of `mode` one after another (as a WSGI server's worker
    threads would), CPU per event of each batch."""
    import threading

    import httpx

    from phoson import PhosonClient

    threads, per_thread, mode = spec["threads"], spec["per_thread"], spec["mode"]

    def phoson_stream(client: PhosonClient) -> int:
        events = 0
        with client.messages.stream(mode, "hello") as stream:
            for _ in stream:
                events += 1
        return events

    def httpx_stream(http: httpx.Client) -> int:
        events = 0
        body = {"content": "hello", "stream": True}
        with http.stream("POST", f"{url}/conversations/{mode}/messages", json=body) as response:
            for line in response.iter_lines():
                if line.startswith("data:"):
                    json.loads(line[5:])
                    events += 1
        return events

    def batch(read: Callable[[], int]) -> float:
        counts: list[int] = []

        def worker() -> None:
            counts.extend(read() for _ in range(per_thread))

        workers = [threading.Thread(target=worker) for _ in range(threads)]
        cpu = time.process_time()
        for thread in workers:
            thread.start()
        for thread in workers:
            thread.join()
        return (time.process_time() - cpu) / sum(counts)

    limits = httpx.Limits(max_connections=1000, max_keepalive_connections=100)
    headers = {"Authorization": "Bearer pk_bench"}
    figures: dict[str, list[float]] = {"phoson": [], "httpx": []}
    with (
        PhosonClient(api_key="pk_bench", base_url=url) as client,
        httpx.Client(timeout=600, limits=limits, headers=headers) as http,
    ):
        reads = {"phoson": lambda: phoson_stream(client), "httpx": lambda: httpx_stream(http)}
        for kind in reads:  # warm-up: connections, imports, model builds
            batch(reads[kind])
        for index in range(spec["rounds"]):
            kinds = list(reads)
            for kind in kinds[index % 2 :] + kinds[: index % 2]:
                figures[kind].append(batch(reads[kind]))
    return {"figures": figures}


def _child(spec: dict[str, Any]) -> dict[str, Any]:
    if spec["scenario"] == "chat":
        return asyncio.run(_chat(spec["kind"], spec["url"], spec["turns"]))
    if spec["scenario"] == "blocking":
        return _blocking(spec["url"], spec)
    return asyncio.run(_alternating(spec["url"], spec))


def _measure(network: _NetworkProcess, ca_file: str, **spec: Any) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter; add the connections it opened."""
    spec = {"url": network.url, **spec}
    before = network.stats()
    out = subprocess.run(
        [sys.executable, "-m", "bench.realnet", "--child", json.dumps(spec)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "SSL_CERT_FILE": ca_file},
    )
    lines = out.stdout.strip().splitlines()
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"{spec} failed: {out.stderr.strip()[-800:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    after = network.stats()
    result["tls"] = {
        kind: after["tls"].get(kind, 0) - before["tls"].get(kind, 0) for kind in after["tls"]
    }
    result["tcp"] = after["tcp"] - before["tcp"]
    return result


def _available() -> list[str]:
    kinds = ["phoson", "httpx"]
    try:
        import openai  # noqa: F401

        kinds.append("openai")
    except ImportError:
        pass
    return kinds


def _chat_rows(
    network: _NetworkProcess, ca_file: str, turns: int, rounds: int, rtt: float
) -> list[Row]:
    kinds = _available()
    ttft: dict[str, list[float]] = {kind: [] for kind in kinds}  # turns 2..N, every round
    first: dict[str, list[float]] = {kind: [] for kind in kinds}
    total: dict[str, list[float]] = {kind: [] for kind in kinds}
    cpu: dict[str, list[float]] = {kind: [] for kind in kinds}
    cpu_turn: dict[str, list[float]] = {kind: [] for kind in kinds}  # turns 2..N, per turn
    tls: dict[str, list[int]] = {kind: [] for kind in kinds}
    tcp: dict[str, list[int]] = {kind: [] for kind in kinds}
    for index in range(rounds):
        shift = index % len(kinds)
        for kind in kinds[shift:] + kinds[:shift]:
            result = _measure(network, ca_file, scenario="chat", kind=kind, turns=turns)
            first[kind].append(result["ttft"][0])
            ttft[kind] += result["ttft"][1:]
            total[kind].append(result["total"])
            cpu[kind].append(result["cpu"])
            cpu_turn[kind].append(result["cpu_turn"])
            tls[kind].append(sum(result["tls"].values()))
            tcp[kind].append(result["tcp"])
    ms = 1000.0

    def opened(kind: str) -> str:
        return (
            f"{NAMES[kind]}: {max(tcp[kind])} connections opened, {max(tls[kind])} TLS "
            f"handshakes per session (most in a round)"
        )

    connections = "; ".join(opened(kind) for kind in kinds)
    setting = f"TLS, RTT {rtt * ms:.0f} ms (userspace proxy), {turns} turns x {CHAT_TOKENS} tokens"
    rows: list[Row] = []
    for q in (50.0, 95.0):
        mine, raw = percentile(ttft["phoson"], q), percentile(ttft["httpx"], q)
        theirs = percentile(ttft["openai"], q) if "openai" in kinds else None
        passed = mine <= 1.05 * raw and (theirs is None or mine <= theirs)
        anchor = f"openai-python {theirs * ms:.1f} ms; " if theirs is not None else ""
        rows.append(
            row(
                "realnet",
                f"chat, time to first token, turns 2..{turns}, p{q:.0f}: `messages.stream` vs "
                "raw `httpx` stream + `aiter_lines` (and openai-python)",
                mine * ms,
                raw * ms,
                "ms",
                target="ratio <= 1.05 and <= openai-python",
                passed=passed,
                notes=f"{setting}; {rounds} rounds, {len(ttft['phoson'])} turns each; "
                f"{anchor}turn 1 (new connection) median: "
                + ", ".join(f"{NAMES[k]} {median(first[k]) * ms:.0f} ms" for k in kinds)
                + f"; {connections}",
            )
        )
    mine, raw = median(total["phoson"]), median(total["httpx"])
    ratio = paired_ratio(total["phoson"], total["httpx"])
    anchor = f"openai-python {median(total['openai']) * ms:.0f} ms; " if "openai" in kinds else ""
    rows.append(
        row(
            "realnet",
            f"chat, whole session of {turns} turns: phoson vs raw `httpx`",
            mine * ms,
            raw * ms,
            "ms",
            ratio=mine / raw,
            target="ratio <= 1.05",
            passed=mine / raw <= 1.05,
            notes=f"{setting}; median of {rounds} rounds, paired-round ratio {ratio:.3f}; "
            f"{anchor}client CPU per session (the client made in it): "
            + ", ".join(f"{NAMES[k]} {median(cpu[k]) * ms:.0f} ms" for k in kinds)
            + f"; per turn, turns 2..{turns}: "
            + ", ".join(f"{NAMES[k]} {median(cpu_turn[k]) * ms:.2f} ms" for k in kinds)
            + f"; {connections}",
        )
    )
    return rows


def _concurrency_rows(
    network: _NetworkProcess, ca_file: str, count: int, events: int, rounds: int, rtt: float
) -> list[Row]:
    spec = {
        "scenario": "alternating",
        "count": count,
        "parallel": count,
        "mode": f"events-{events}",
        "rounds": rounds,
    }
    result = _measure(network, ca_file, **spec)
    figures = result["figures"]
    mine, raw = figures["phoson"], figures["httpx"]
    cpu_ratio = paired_ratio(mine["cpu"], raw["cpu"])
    wall_ratio = paired_ratio(mine["wall"], raw["wall"])
    errors = result["errors"]
    said = "no errors" if not errors else ", ".join(f"{k}: {v}" for k, v in errors.items())
    conns = ", ".join(
        f"{NAMES.get(k, k)} {v}" for k, v in sorted(result["tls"].items()) if v
    )  # (a client that ran only in the chat rows has 0 here)
    notes = (
        f"TLS, RTT {rtt * 1000:.0f} ms (userspace proxy); {rounds} rounds, the two clients "
        f"taking turns in one process; {said}; TLS handshakes over the run (warm-up "
        f"included): {conns}; TCP connections {result['tcp']}"
    )
    return [
        row(
            "realnet",
            f"{count} concurrent streams x {events:,} events over TLS: CPU per event, phoson vs "
            "raw `httpx`",
            median(mine["cpu"]) * 1e6,
            median(raw["cpu"]) * 1e6,
            "µs",
            ratio=cpu_ratio,
            target="ratio <= 1.0",
            passed=cpu_ratio <= 1.0,
            notes=f"median of each round's own ratio; {notes}",
        ),
        row(
            "realnet",
            f"{count} concurrent streams x {events:,} events over TLS: wall per batch",
            median(mine["wall"]) * 1000,
            median(raw["wall"]) * 1000,
            "ms",
            ratio=wall_ratio,
            notes=f"report only; median of each round's own ratio; {notes}",
        ),
    ]


def _blocking_rows(
    network: _NetworkProcess, ca_file: str, threads: int, events: int, rounds: int, rtt: float
) -> list[Row]:
    spec = {
        "scenario": "blocking",
        "threads": threads,
        "per_thread": 4,
        "mode": f"events-{events}",
        "rounds": rounds,
    }
    result = _measure(network, ca_file, **spec)
    mine, raw = result["figures"]["phoson"], result["figures"]["httpx"]
    ratio = paired_ratio(mine, raw)
    return [
        row(
            "realnet",
            f"blocking client, {threads} threads x streams of {events:,} events over TLS: CPU "
            "per event, `PhosonClient` vs raw `httpx.Client`",
            median(mine) * 1e6,
            median(raw) * 1e6,
            "µs",
            ratio=ratio,
            target="ratio <= 1.0",
            passed=ratio <= 1.0,
            notes=f"median of each round's own ratio; TLS, RTT {rtt * 1000:.0f} ms (userspace "
            f"proxy); {rounds} rounds of {threads} x 4 streams a client, the two taking turns "
            "in one process; raw httpx reads `iter_lines` + `json.loads`",
        )
    ]


def run(quick: bool = False, rtt: float = RTT) -> list[Row]:
    turns, rounds = (8, 2) if quick else (20, 5)
    count, events, cpu_rounds = (50, 1000, 3) if quick else (200, 1000, 7)
    with tempfile.TemporaryDirectory(prefix="phoson-realnet-") as certdir:
        ca_file = _certificates(certdir)
        network = _NetworkProcess(rtt, certdir)
        try:
            rows = _chat_rows(network, ca_file, turns, rounds, rtt)
            rows += _concurrency_rows(network, ca_file, count, events, cpu_rounds, rtt)
            rows += _blocking_rows(network, ca_file, 16, events, cpu_rounds, rtt)
        finally:
            network.close()
    return rows


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        asyncio.run(_network(float(sys.argv[2]), sys.argv[3]))
    elif sys.argv[1:2] == ["--child"]:
        print(json.dumps(_child(json.loads(sys.argv[2]))))
    else:
        from bench.run import main

        sys.exit(main(["realnet", *sys.argv[1:]]))
