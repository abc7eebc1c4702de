"""A local Phoson Core API server for tests and demos, standard library only.

    from phoson.testing import LocalPhosonServer

    with LocalPhosonServer() as server:
        client = PhosonClient(api_key=server.api_key, base_url=server.url)

`python -m phoson.testing` runs one in the foreground. See `LocalPhosonServer` for the model,
scripting and fault injection.
"""

from ._app import RecordedRequest, ServerStats, reply_text, split_tokens
from ._fallback import configured_or_local
from ._server import LocalPhosonServer
from ._transport import LocalAsyncTransport, LocalTransport

__all__ = [
    "LocalAsyncTransport",
    "LocalPhosonServer",
    "LocalTransport",
    "RecordedRequest",
    "ServerStats",
    "configured_or_local",
    "reply_text",
    "split_tokens",
]
