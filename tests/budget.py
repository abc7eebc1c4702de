"""How hard the property and model-based tests try: one knob for the whole suite.

Every hypothesis test takes its example count from `examples(n)`, where `n` is the count for the
everyday run (the README's `uv run pytest` and `.ci/run`). The profile is chosen with
`PHOSON_TEST_PROFILE`:

- `default` (unset): derandomized, `n` examples: the same examples every run, so a red CI run
  is reproducible and the suite's time is fixed.
- `release`: `n * 20` examples, random seeds: the longer search to run before a release
  (`PHOSON_TEST_PROFILE=release uv run pytest -k "machine or property or fuzz or canary"`).

A counterexample that either profile finds becomes a plain regression test.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

__all__ = ["PROFILE", "examples"]

PROFILE = os.environ.get("PHOSON_TEST_PROFILE", "default")
if PROFILE not in ("default", "release"):
    raise RuntimeError(f"PHOSON_TEST_PROFILE={PROFILE!r}: use 'default' or 'release'")

_SCALE = 20 if PROFILE == "release" else 1

settings.register_profile(
    "default",
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "release",
    derandomize=False,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(PROFILE)


def examples(n: int) -> int:
    """The example count for a test whose everyday budget is `n` (scaled by the profile)."""
    return n * _SCALE
