"""A plain call's request made from its configuration's template (`phoson._fast_request`, the
`calls` bench's fast path) is the request the general path (`phoson._config.build_request`)
makes: same method, URL, headers in the same order, body and timeout, for any path, base URL,
default headers and httpx client headers; and where the two could differ, the template is not
used."""

from __future__ import annotations

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from phoson._config import build_request, resolve_config
from phoson._fast_request import RequestTemplates
from phoson._wire import JSON, Call, agents_get
from tests.budget import examples

SEGMENT_CHARS = st.sampled_from(
    [*"abcXYZ019-._~!$&'()*+,;=:@", "%2F", "%2f", "%zz", " ", "é", "?", "#", "[", "\\", "%"]
)
segments = st.lists(SEGMENT_CHARS, min_size=0, max_size=6).map("".join)
paths = st.lists(segments, min_size=1, max_size=4).map(lambda parts: "/" + "/".join(parts))
base_urls = st.sampled_from(
    [
        "https://api.phoson.ai",
        "https://api.phoson.ai/v1",
        "http://127.0.0.1:8080",
        "https://EXAMPLE.com:443/prefix/a%20b",
        "https://api.phoson.ai/v1?x=1",
    ]
)
default_headers = st.sampled_from(
    [{}, {"X-Team": "a"}, {"accept": "text/plain"}, {"User-Agent": "mine"}, {"Authorization": "B"}]
)
client_headers = st.sampled_from(
    [{}, {"X-Client": "c"}, {"user-agent": "client/1"}, {"Accept": "*/*", "X-Trace": "t"}]
)


def same_request(fast: httpx.Request, general: httpx.Request) -> None:
    assert fast.method == general.method
    assert fast.url == general.url and str(fast.url) == str(general.url)
    assert fast.url.raw_path == general.url.raw_path
    assert fast.headers.raw == general.headers.raw
    assert fast.content == general.content
    assert fast.extensions == general.extensions


#: One httpx client for every example of both properties (a new one per example loaded
#: certifi's CA bundle into an SSL context each time: ~25 s of the suite); only its headers
#: change, set per example.
HTTP = httpx.Client()


@settings(max_examples=examples(300))
@given(
    method=st.sampled_from(["GET", "DELETE", "POST", "PATCH"]),
    path=paths,
    accept=st.sampled_from([JSON, "text/event-stream"]),
    base_url=base_urls,
    defaults=default_headers,
    own=client_headers,
    key=st.sampled_from([None, "key-1"]),
    calls=st.integers(1, 3),
)
def test_the_template_request_is_the_general_request(
    method: str,
    path: str,
    accept: str,
    base_url: str,
    defaults: dict[str, str],
    own: dict[str, str],
    key: str | None,
    calls: int,
) -> None:
    """For any call without body or query, the template's request (first made and then taken
    from the cache, `calls` times) equals build_request's; the template is used for every
    path of characters httpx leaves as they are, and declined for any other."""
    config = resolve_config(
        api_key="pk_test_0123456789abcdef",
        base_url=base_url,
        timeout=12.5,
        max_retries=2,
        default_headers=defaults,
    )
    http = HTTP
    http.headers = own  # merged with httpx's defaults exactly as httpx.Client(headers=own) does
    templates = RequestTemplates(config)
    call = Call(method, path, accept=accept)
    for _ in range(calls):
        fast = templates.request(http, call, key)
        try:
            general = build_request(http, config, call, {}, idempotency_key=key)
        except httpx.InvalidURL:
            assert fast is None
            continue
        if fast is None:
            continue
        if key is None and "Idempotency-Key" in general.headers:
            # A fresh key each time on both paths: compare all but its value.
            assert fast.headers["Idempotency-Key"] != general.headers["Idempotency-Key"]
            fast.headers["Idempotency-Key"] = general.headers["Idempotency-Key"]
        same_request(fast, general)


@settings(max_examples=examples(100))
@given(agent_id=st.text(min_size=1, max_size=20).filter(str.strip))
def test_real_calls_take_the_template_and_match(agent_id: str) -> None:
    """`agents.get` for any id: the template is taken whenever the quoted id is plain, and the
    request is build_request's; a change of the httpx client's headers makes a new template."""
    config = resolve_config(
        api_key="pk_test_0123456789abcdef",
        base_url="https://api.phoson.ai",
        timeout=30,
        max_retries=2,
        default_headers=None,
    )
    http = HTTP
    http.headers = {}  # httpx's defaults only, as a new httpx.Client() has
    templates = RequestTemplates(config)
    try:
        call = agents_get(agent_id)
    except ValueError:
        return  # an id the wire layer refuses never reaches a request
    fast = templates.request(http, call, None)
    general = build_request(http, config, call, {})
    if agent_id.isascii() and agent_id.isalnum():
        assert fast is not None
    if fast is not None:
        same_request(fast, general)
    http.headers["X-Later"] = "1"
    again = templates.request(http, call, None)
    if again is not None:
        assert again.headers["X-Later"] == "1"
        same_request(again, build_request(http, config, call, {}))


def test_a_call_with_a_body_query_options_or_a_key_function_takes_the_general_path() -> None:
    """What the template does not cover is left to the general path: a body, a query, a key
    function, `default_query`, httpx client params or cookies."""
    config = resolve_config(
        api_key="pk_test_0123456789abcdef",
        base_url="https://api.phoson.ai",
        timeout=30,
        max_retries=2,
        default_headers=None,
    )
    http = httpx.Client()
    templates = RequestTemplates(config)
    assert templates.request(http, Call("GET", "/agents"), None) is not None
    assert templates.request(http, Call("POST", "/agents", body={"a": 1}), None) is None
    assert templates.request(http, Call("GET", "/agents", params={"a": "1"}), None) is None
    keyed = resolve_config(
        api_key=lambda: "pk_test_0123456789abcdef",
        base_url="https://api.phoson.ai",
        timeout=30,
        max_retries=2,
        default_headers=None,
    )
    assert RequestTemplates(keyed).request(http, Call("GET", "/agents"), None) is None
    queried = resolve_config(
        api_key="pk_test_0123456789abcdef",
        base_url="https://api.phoson.ai",
        timeout=30,
        max_retries=2,
        default_headers=None,
        default_query={"a": "1"},
    )
    assert RequestTemplates(queried).request(http, Call("GET", "/agents"), None) is None
    with_params = httpx.Client(params={"a": "1"})
    assert templates.request(with_params, Call("GET", "/agents"), None) is None
    with_cookies = httpx.Client(cookies={"a": "1"})
    assert templates.request(with_cookies, Call("GET", "/agents"), None) is None
    for client in (http, with_params, with_cookies):
        client.close()
