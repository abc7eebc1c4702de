"""The chat page served by Starlette (FastAPI is the same: its `Request` and responses are
Starlette's), with `AsyncPhosonClient`:

    GET  /                   the page (index.html)
    POST /api/conversations  a new conversation: {"conversation_id": ...}
    GET  /api/reply?conversation_id=&message=&key=
                             the reply as Server-Sent Events (phoson.web.starlette.sse_response)

`app(secret)` builds the application; `app.py` runs it with uvicorn. One client, made on first
use, serves every request; it reads PHOSON_API_KEY and PHOSON_BASE_URL.
"""

from __future__ import annotations

import functools

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from examples.web_chat import shared
from phoson import AsyncPhosonClient, PhosonError
from phoson.web.starlette import error_response, sse_response


@functools.cache
def client() -> AsyncPhosonClient:
    return AsyncPhosonClient()


def app(secret: str) -> Starlette:
    """The application; `secret` signs the relay ids (every process serving it needs the same)."""

    async def page(request: Request) -> Response:
        return HTMLResponse(shared.PAGE)

    async def new_conversation(request: Request) -> Response:
        phoson = client()
        try:
            agent_id = shared.agent_id(await phoson.agents.list())
            if agent_id is None:
                agent_id = (
                    await phoson.agents.create(
                        name=shared.AGENT_NAME, description=shared.AGENT_DESCRIPTION
                    )
                ).id
            conversation = await phoson.conversations.create(agent_id, title="web chat")
        except PhosonError as error:
            return error_response(error)
        return JSONResponse({"conversation_id": conversation.id})

    async def reply(request: Request) -> Response:
        asked = shared.reply_request(request.query_params)
        if isinstance(asked, str):
            return JSONResponse({"error": {"type": "BadRequest", "message": asked}}, 400)
        conversation_id, message, key = asked
        # Made again, the same, when the browser reconnects: sse_response then resumes the
        # run named by Last-Event-ID instead of sending this one.
        stream = client().messages.stream(conversation_id, message, idempotency_key=key)
        return await sse_response(request, stream, secret=secret)

    return Starlette(
        routes=[
            Route("/", page),
            Route("/api/conversations", new_conversation, methods=["POST"]),
            Route("/api/reply", reply),
        ]
    )
