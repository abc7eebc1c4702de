"""`phoson._exceptions.reason_of`: an error's words are its own message, or, when it has none
(httpx's errors over trio carry their cause without one), the first message along its causes,
with any API key redacted; a chain that loops still ends."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from phoson._exceptions import reason_of
from phoson._redact import remember_key
from tests.budget import examples
from tests.payloads import API_KEY

messages = st.lists(st.sampled_from(["", "", "certificate verify failed", f"key {API_KEY}"]))


@settings(max_examples=examples(200))
@given(messages=messages, chained_by_cause=st.lists(st.booleans()), loop=st.booleans())
def test_the_reason_is_the_first_message_along_the_causes(
    messages: list[str], chained_by_cause: list[bool], loop: bool
) -> None:
    """For a chain of errors linked by `__cause__` or `__context__` (or looping back), the
    reason is the first non-empty message, redacted, else the outer error's class name."""
    remember_key(API_KEY)
    errors: list[OSError] = [OSError()]
    errors += [ConnectionError(message) if message else ConnectionError() for message in messages]
    for index, (outer, inner) in enumerate(itertools.pairwise(errors)):
        if index < len(chained_by_cause) and chained_by_cause[index]:
            outer.__cause__ = inner
        else:
            outer.__context__ = inner
    if loop and len(errors) > 1:
        errors[-1].__context__ = errors[0]

    reason = reason_of(errors[0])

    expected = next((message for message in messages if message), None)
    if expected is None:
        assert reason == "OSError"
    else:
        assert reason == expected.replace(API_KEY, "[redacted]")
