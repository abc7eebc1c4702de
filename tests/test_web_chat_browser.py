"""examples/web_chat in a real browser: headless Chromium (Debian's `chromium`) driven by
Playwright, against each of the three servers the example runs on (Django under WSGI, Django
under ASGI, Starlette), started as a user starts them (`python examples/web_chat/app.py`).

The API behind the app is a `LocalPhosonServer` in this process (faults, counters); the browser
reaches the app through a TCP proxy in this process, which can cut the browser's connection
mid-reply. On failure a screenshot and the page's console log are saved under
`$PHOSON_BROWSER_ARTIFACTS` (default `browser-artifacts/`) and the log is printed.

Slow (a browser, three servers): run only when PHOSON_BROWSER_TESTS=1 (`.ci/run`, section 13).
Chromium is found as `chromium` on PATH, or `$PHOSON_CHROMIUM`.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from phoson import PhosonClient
from phoson.testing import LocalPhosonServer, reply_text

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage
    from playwright.sync_api import Error as PlaywrightError

pytestmark = pytest.mark.skipif(
    os.environ.get("PHOSON_BROWSER_TESTS") != "1",
    reason="browser tests run with PHOSON_BROWSER_TESTS=1 (.ci/run, section 13)",
)

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "examples" / "web_chat" / "app.py"
ARTIFACTS = Path(os.environ.get("PHOSON_BROWSER_ARTIFACTS") or ROOT / "browser-artifacts")
FRAMEWORKS = ["django", "django-asgi", "starlette"]
#: Seconds between two events of the API: a reply of ~15 tokens takes ~1.5 s, so a test can
#: act mid-reply.
EVENT_DELAY = 0.1
#: How long the page may take for anything (a reply, a reconnect after its 1 s retry hint).
PATIENCE_MS = 15_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until(condition: Callable[[], bool], timeout: float, step: float = 0.01) -> float:
    """Seconds until `condition()` held; fails after `timeout`."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not within {timeout} s: {condition}")
        time.sleep(step)
    return time.monotonic() - start


class Proxy:
    """A TCP proxy from the browser to the app, one thread per direction and connection. It
    records each request's head (keep-alive connections carry several), and `cut()` closes every open connection (both sides), as a
    dropped network would."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.heads: list[bytes] = []
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                browser, _ = self.listener.accept()
            except OSError:
                return
            try:
                app = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                browser.close()
                continue
            with self._lock:
                self._open |= {browser, app}
            threading.Thread(target=self._pipe, args=(browser, app, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(app, browser, False), daemon=True).start()

    def _pipe(self, source: socket.socket, target: socket.socket, request: bool) -> None:
        try:
            while data := source.recv(65536):
                if request and data.startswith((b"GET ", b"POST ")):  # a request's head
                    with self._lock:
                        self.heads.append(data)
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            with self._lock:
                self._open -= {source, target}

    def cut(self) -> None:
        with self._lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.listener.close()
        self.cut()


@pytest.fixture(scope="module")
def api() -> Iterator[LocalPhosonServer]:
    with LocalPhosonServer(event_delay=EVENT_DELAY) as server:
        yield server


@pytest.fixture(scope="module", params=FRAMEWORKS)
def app(request: pytest.FixtureRequest, api: LocalPhosonServer) -> Iterator[Proxy]:
    """`python examples/web_chat/app.py --framework X`, reached through a `Proxy`."""
    framework: str = request.param
    port = free_port()
    env = {**os.environ, "PHOSON_API_KEY": api.api_key, "PHOSON_BASE_URL": api.url}
    _artifacts()
    log = (ARTIFACTS / f"app-{framework}.log").open("w")
    process = subprocess.Popen(
        [sys.executable, str(APP), "--framework", framework, "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=log,
    )

    def answers() -> bool:
        assert process.poll() is None, f"the {framework} app exited: see its log"
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return True
        return False

    proxy: Proxy | None = None
    try:
        wait_until(answers, 30, 0.1)
        proxy = Proxy(port)
        yield proxy
    finally:
        if proxy is not None:
            proxy.close()
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _artifacts() -> bool:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return True


def chromium_path() -> str:
    found = os.environ.get("PHOSON_CHROMIUM") or shutil.which("chromium")
    if not found:
        pytest.fail("no chromium on PATH: `apt-get install chromium` (.ci/run does)")
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=["--no-sandbox"]
        )
        yield chromium
        chromium.close()


class Chat:
    """The page, as a user (and the test) sees it."""

    def __init__(self, page: Any, base: str) -> None:
        self.page = page
        self.base = base
        self.console: list[str] = []
        page.on("console", self._console_message)
        page.on("pageerror", self._page_error)

    def _console_message(self, message: ConsoleMessage) -> None:
        self.console.append(f"{message.type}: {message.text}")

    def _page_error(self, error: PlaywrightError) -> None:
        self.console.append(f"pageerror: {error}")

    def open(self, query: str = "") -> None:
        self.page.goto(self.base + "/" + query)
        # Every text #reply shows, in order (tokens appear one by one).
        self.page.evaluate(
            """() => {
                window.replyTexts = [];
                new MutationObserver(() => {
                    window.replyTexts.push(document.getElementById("reply").textContent);
                }).observe(document.getElementById("reply"),
                           {childList: true, characterData: true, subtree: true});
            }"""
        )

    def send(self, message: str) -> None:
        self.page.fill("#message", message)
        self.page.click("#send")

    def status(self) -> str:
        return str(self.page.text_content("#status"))

    def reply(self) -> str:
        return str(self.page.text_content("#reply"))

    def wait_status(self, word: str) -> None:
        self.page.wait_for_function(
            "word => document.getElementById('status').textContent.includes(word)",
            arg=word,
            timeout=PATIENCE_MS,
        )

    def wait_words(self, count: int) -> None:
        """Until #reply shows at least `count` updates (the reply is streaming)."""
        self.page.wait_for_function(
            "count => window.replyTexts.filter(t => t).length >= count",
            arg=count,
            timeout=PATIENCE_MS,
        )

    def texts(self) -> list[str]:
        texts: list[str] = self.page.evaluate("window.replyTexts")
        return [text for text in texts if text]

    def conversation_id(self) -> str:
        return str(self.page.evaluate("conversationId"))


@pytest.fixture
def chat(browser: Any, app: Proxy, request: pytest.FixtureRequest) -> Iterator[Chat]:
    context = browser.new_context()
    page = context.new_page()
    chat = Chat(page, f"http://127.0.0.1:{app.port}")
    failures = request.session.testsfailed
    yield chat
    if request.session.testsfailed > failures and _artifacts():
        name = request.node.name.replace("/", "_")
        with contextlib.suppress(Exception):
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        (ARTIFACTS / f"{name}.console.log").write_text("\n".join(chat.console) + "\n")
        print(f"\n--- {name}: console log ({ARTIFACTS}/{name}.console.log)")
        print("\n".join(chat.console) or "(empty)")
    context.close()


def assistant_reply(api: LocalPhosonServer, conversation_id: str) -> str:
    """The run's `run_done.content`, as the API stored it (its last assistant message). Asked
    from a worker thread: Playwright's sync API keeps an event loop on this one, where the
    blocking client warns."""

    def read() -> list[str]:
        with PhosonClient(api_key=api.api_key, base_url=api.url) as client:
            messages = client.messages.list(conversation_id)
        return [message.content for message in messages if message.role == "assistant"]

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        replies = pool.submit(read).result()
    assert len(replies) == 1, replies
    return replies[0]


def test_reply_streams_into_the_page(chat: Chat, api: LocalPhosonServer) -> None:
    """The reply appears word by word (at least 3 updates before `done`), and the final
    #reply is the run's run_done.content, exactly once."""
    chat.open()
    runs = api.stats.runs_created
    chat.send("Hello browser")
    chat.wait_status("done")
    texts = chat.texts()
    final = chat.reply()
    assert final == assistant_reply(api, chat.conversation_id()) == reply_text("Hello browser")
    assert len(texts) >= 3
    assert all(final.startswith(text) for text in texts)  # growing, never repeating
    assert api.stats.runs_created == runs + 1


def test_upstream_cut_mid_reply(chat: Chat, api: LocalPhosonServer) -> None:
    """The API's stream breaks mid-run (the local server cuts it after 5 events): the relay's
    client resumes it, and the page shows the whole reply once."""
    chat.open()
    runs = api.stats.runs_created
    api.cut_stream_after(5)
    chat.send("Cut upstream")
    chat.wait_status("done")
    assert (
        chat.reply() == assistant_reply(api, chat.conversation_id()) == reply_text("Cut upstream")
    )
    assert api.stats.runs_created == runs + 1
    resumed = [r for r in api.stats.requests if "last-event-id" in r.headers]
    assert resumed, "the API saw no resume"


def test_browser_connection_cut_mid_reply(chat: Chat, api: LocalPhosonServer, app: Proxy) -> None:
    """The browser's own connection to the relay breaks mid-reply: EventSource reconnects with
    Last-Event-ID, the relay resumes the same run after that event, and the reply completes
    exactly once."""
    chat.open()
    runs = api.stats.runs_created
    heads = len(app.heads)
    chat.send("Cut the browser")
    chat.wait_words(3)
    app.cut()
    chat.wait_status("done")
    assert chat.reply() == assistant_reply(api, chat.conversation_id())
    assert chat.reply() == reply_text("Cut the browser")
    assert api.stats.runs_created == runs + 1
    replies = [h for h in app.heads[heads:] if h.startswith(b"GET /api/reply")]
    assert len(replies) >= 2, replies
    assert b"last-event-id:" in replies[-1].lower()  # the browser's reconnect
    resumed = [r for r in api.stats.requests if "last-event-id" in r.headers]
    assert resumed, "the relay did not resume the API's stream"


def test_stop_closes_the_upstream_stream(chat: Chat, api: LocalPhosonServer) -> None:
    """Stop ends the page's stream, and the app closes the API stream within 1 s: the local
    server sees the client go away."""
    chat.open()
    chat.send("Stop me soon please, this should take a while to say")
    chat.wait_words(3)
    disconnects = api.stats.disconnects
    chat.page.click("#stop")
    took = wait_until(lambda: api.stats.disconnects > disconnects, 5)
    assert took <= 1.0, f"the API stream was closed {took:.2f} s after Stop"
    assert "stopped" in chat.status()


def test_missing_conversation_shows_the_error(chat: Chat) -> None:
    """A message to a conversation that does not exist: #status shows the API's error."""
    chat.open("?conversation=conv_does_not_exist")
    chat.send("Anyone there?")
    chat.wait_status("error:")
    assert "Conversation not found" in chat.status()
