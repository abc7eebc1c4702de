"""A one-page chat that streams the agent's reply into the browser, served by Django or Starlette.

    python examples/web_chat/app.py --framework django --port 8000       # WSGI, PhosonClient
    python examples/web_chat/app.py --framework django-asgi --port 8000  # ASGI, AsyncPhosonClient
    python examples/web_chat/app.py --framework starlette --port 8000    # ASGI, AsyncPhosonClient

then open http://127.0.0.1:8000/. With PHOSON_API_KEY set (and PHOSON_BASE_URL if needed) it
talks to that API; without it, it starts the local server (`phoson.testing.LocalPhosonServer`,
with `--event-delay` seconds between events so the reply visibly streams) and says so.

The page uses `EventSource`; the server relays the API's stream with `phoson.web`: events with
signed relay ids, heartbeats, and a resumed run when the browser reconnects. Django under WSGI
runs on Django's own threaded development server; under ASGI, and Starlette, on uvicorn.
WEB_CHAT_SECRET_KEY signs the relay ids (default: a random one per start).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import sys
from collections.abc import Generator
from pathlib import Path
from typing import Any

# `python examples/web_chat/app.py` puts this folder first on sys.path; the project root
# makes `examples.web_chat` importable, as it is for the tests and mypy.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

FRAMEWORKS = ("django", "django-asgi", "starlette")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--framework", choices=FRAMEWORKS, default="django")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--event-delay",
        type=float,
        default=0.15,
        help="seconds between two events of the local server (when PHOSON_API_KEY is unset)",
    )
    return parser.parse_args(argv)


@contextlib.contextmanager
def api(event_delay: float) -> Generator[None]:
    """PHOSON_API_KEY/PHOSON_BASE_URL as set, or a local server put into them."""
    if os.environ.get("PHOSON_API_KEY"):
        where = os.environ.get("PHOSON_BASE_URL") or "the default API URL"
        print(f"using the API at {where} (PHOSON_API_KEY is set)", file=sys.stderr, flush=True)
        yield
        return
    from phoson.testing import LocalPhosonServer

    with LocalPhosonServer(event_delay=event_delay) as server:
        os.environ["PHOSON_API_KEY"] = server.api_key
        os.environ["PHOSON_BASE_URL"] = server.url
        print(
            f"PHOSON_API_KEY is not set: using a local server at {server.url} "
            f"({event_delay} s between events)",
            file=sys.stderr,
            flush=True,
        )
        yield


def serve(framework: str, host: str, port: int) -> None:
    print(f"web chat ({framework}) on http://{host}:{port}/", file=sys.stderr, flush=True)
    if framework == "django":
        from django.core.servers.basehttp import run
        from django.core.wsgi import get_wsgi_application

        from examples.web_chat import django_app

        django_app.configure(asgi=False)
        # Django's threaded development server (what `runserver` runs): a thread a request.
        run(host, port, get_wsgi_application(), threading=True)
        return
    import uvicorn

    application: Any
    if framework == "django-asgi":
        from django.core.asgi import get_asgi_application

        from examples.web_chat import django_app

        django_app.configure(asgi=True)
        application = get_asgi_application()
    else:
        from examples.web_chat import starlette_app

        secret = os.environ.get("WEB_CHAT_SECRET_KEY") or secrets.token_urlsafe(32)
        application = starlette_app.app(secret)
    uvicorn.run(application, host=host, port=port, log_level="warning", lifespan="off")


def main(argv: list[str] | None = None) -> None:
    options = parse(argv)
    with api(options.event_delay), contextlib.suppress(KeyboardInterrupt):
        serve(options.framework, options.host, options.port)


if __name__ == "__main__":
    main()
