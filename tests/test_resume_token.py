"""Resume tokens on their own (phoson/_resume_token.py): what goes in comes out, every token is
short URL-safe ASCII without the API key, and anything but a whole unaltered token is refused
with a PhosonError that quotes no part of it."""

from __future__ import annotations

import string
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phoson import PhosonError
from phoson._redact import remember_key
from phoson._resume_token import (
    MAX_TOKEN_CHARS,
    ResumePoint,
    decode_resume_token,
    encode_resume_token,
)
from tests.budget import examples

URL_SAFE = frozenset(string.ascii_letters + string.digits + "-_.")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
ids = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)
points = st.builds(
    ResumePoint,
    method=st.just("POST"),
    path=st.from_regex(r"/conversations/[A-Za-z0-9_%.-]{1,30}/messages", fullmatch=True),
    body=st.none() | st.dictionaries(st.text(max_size=10), json_values, max_size=5),
    idempotency_key=st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1),
    last_event_id=ids | st.text(max_size=20),
    first_event_id=ids,
)


def a_point(**changes: Any) -> ResumePoint:
    fields: dict[str, Any] = {
        "method": "POST",
        "path": "/conversations/conv_1/messages",
        "body": {"content": "héllo wörld", "stream": True},
        "idempotency_key": "0b8f-key",
        "last_event_id": "run_1:3",
        "first_event_id": "run_1:1",
    }
    fields.update(changes)
    return ResumePoint(**fields)


@settings(max_examples=examples(200))
@given(points)
def test_property_round_trip(point: ResumePoint) -> None:
    """Any resume point encodes to URL-safe ASCII of bounded length that decodes to the same
    point."""
    token = encode_resume_token(point)
    assert token is not None
    assert token.startswith("phr1.") and set(token) <= URL_SAFE
    assert len(token) <= MAX_TOKEN_CHARS
    assert decode_resume_token(token) == point


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, str]:
    """A valid token and a changed copy: cut, a character replaced, inserted or removed."""
    token = encode_resume_token(draw(points))
    assert token is not None
    kind = draw(st.sampled_from(["cut", "replace", "insert", "delete", "swap"]))
    at = draw(st.integers(0, len(token) - 1))
    alphabet = string.ascii_letters + string.digits + "-_.=+/ "
    if kind == "cut":
        changed = token[:at]
    elif kind == "replace":
        new = draw(st.sampled_from(alphabet).filter(lambda c: c != token[at]))
        changed = token[:at] + new + token[at + 1 :]
    elif kind == "insert":
        changed = token[:at] + draw(st.sampled_from(alphabet.strip())) + token[at:]
    elif kind == "delete":
        changed = token[:at] + token[at + 1 :]
    else:
        other = draw(st.integers(0, len(token) - 1))
        chars = list(token)
        chars[at], chars[other] = chars[other], chars[at]
        changed = "".join(chars)
    return token, changed


@settings(max_examples=examples(400))
@given(mutations())
def test_property_altered_tokens_are_refused(pair: tuple[str, str]) -> None:
    """A token that was cut or had a character replaced, added, removed or moved raises
    PhosonError (which names no part of it), unless the change left it identical."""
    token, changed = pair
    if changed.strip() == token:
        return
    with pytest.raises(PhosonError, match="resume token") as caught:
        decode_resume_token(changed)
    payload = token.partition(".")[2]
    assert payload[:12] not in str(caught.value)


@settings(max_examples=examples(200))
@given(st.text(max_size=200) | st.binary(max_size=200).map(lambda b: "phr1." + b.hex()))
def test_property_garbage_is_refused(text: str) -> None:
    """A string that is not a token raises PhosonError, never anything else."""
    with pytest.raises(PhosonError):
        decode_resume_token(text)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "it is empty"),
        ("hello", "does not start with 'phr'"),
        ("phr2.AAAA", "of version 2"),
        ("phr.AAAA", "lacks its version"),
        ("phr1.AA AA", "characters no token has"),
        ("phr1." + "A" * MAX_TOKEN_CHARS, "longer than any token"),
    ],
)
def test_each_refusal_says_why(text: str, says: str) -> None:
    """Each kind of bad token is refused with a message that says what is wrong with it."""
    with pytest.raises(PhosonError, match=says):
        decode_resume_token(text)


def test_non_str_token_is_refused() -> None:
    """A token of the wrong type (bytes, None) raises PhosonError naming the type."""
    with pytest.raises(PhosonError, match="not bytes"):
        decode_resume_token(b"phr1.AAAA")  # type: ignore[arg-type]


def test_surrounding_whitespace_is_ignored() -> None:
    """A token pasted with a trailing newline still reads."""
    token = encode_resume_token(a_point())
    assert token is not None
    assert decode_resume_token(f"  {token}\n") == a_point()


def test_token_never_holds_a_key() -> None:
    """A request whose body holds an API key some client used gets no token at all."""
    remember_key("pk_live_resume_token_secret")
    assert encode_resume_token(a_point(body={"content": "pk_live_resume_token_secret"})) is None
    assert encode_resume_token(a_point(idempotency_key="pk_live_resume_token_secret")) is None


def test_too_large_request_has_no_token() -> None:
    """A request too large for a token (random text does not compress) gets None, and the
    largest token that is made stays under the bound."""
    import random

    noise = "".join(random.Random(1).choices(string.ascii_letters, k=2 * MAX_TOKEN_CHARS))
    assert encode_resume_token(a_point(body={"content": noise})) is None
    token = encode_resume_token(a_point(body={"content": noise[:9000]}))
    assert token is not None and len(token) <= MAX_TOKEN_CHARS


def test_a_token_with_an_odd_content_is_refused() -> None:
    """A well-formed token made by another program with a path that leaves the API's paths
    (another host, a query) or a body that is not an object is refused."""
    for point in (
        a_point(path="//evil.example/x"),
        a_point(path="/x?y=1"),
        a_point(path="relative"),
        a_point(method="CONNECT"),
    ):
        token = encode_resume_token(point)
        assert token is not None
        with pytest.raises(PhosonError, match="wrong shape"):
            decode_resume_token(token)
