"""How hard the property and model-based tests try: one knob for the whole suite.

Every hypothesis test takes its example count from `examples(n)`, where `n` is the count for the
everyday run (the README's `uv run pytest` and `.ci/run`). The profile is chosen with
`PHOSON_TEST_PROFILE`:

- `default` (unset): derandomized, `n` examples: the same examples every run, so a red CI run
  is reproducible and the suite's time is fixed.
- `release`: `n * 20` examples, random seeds: the longer search to run before a release
  (`PHOSON_TEST_PROFILE=release uv run pytest -k "machine or property or fuzz or canary"`).

A counterexample that either profile finds becomes a plain regression test.

The few tests whose point is scale (thousands of streams or calls) take their size from
`scale(everyday, full)`, chosen with `PHOSON_TEST_SCALE`:

- `everyday` (unset): the smaller size, enough to show the behaviour (more streams than
  connections, many abandoned streams, many calls racing across a fork) in the README's
  `uv run pytest`.
- `full`: the size the issue names (2,000 streams, 5,000 calls...). `.ci/run` step 5 (the
  locked Python 3.11 run) sets it, so every CI run still proves the full-size claims
  (`PHOSON_TEST_SCALE=full uv run pytest` locally).

The same knob gives the costliest searches (the stream and client machines, the canary
harness: `examples(n, full=...)`) their longer budgets, and runs pyright's checks
(tests/test_pyright.py; `.ci/run` section 12 runs them too): the README's `uv run pytest` stays
under 90 s on 2 cores, and every CI run still makes the full search.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

__all__ = ["PROFILE", "SCALE", "examples", "scale"]

PROFILE = os.environ.get("PHOSON_TEST_PROFILE", "default")
if PROFILE not in ("default", "release"):
    raise RuntimeError(f"PHOSON_TEST_PROFILE={PROFILE!r}: use 'default' or 'release'")

_SCALE = 20 if PROFILE == "release" else 1

SCALE = os.environ.get("PHOSON_TEST_SCALE", "everyday") or "everyday"
if SCALE not in ("everyday", "full"):
    raise RuntimeError(f"PHOSON_TEST_SCALE={SCALE!r}: use 'everyday' or 'full'")

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


def examples(n: int, *, full: int | None = None) -> int:
    """The example count for a test whose everyday budget is `n`; `full`, when given, is its
    budget under PHOSON_TEST_SCALE=full (CI's step 5): the longest model-based tests search
    further there than in the README's everyday run. Both are scaled by the profile."""
    return (full if full is not None and SCALE == "full" else n) * _SCALE


def scale(everyday: int, full: int) -> int:
    """The size for a test whose point is scale: `full` under PHOSON_TEST_SCALE=full (CI's
    step 5), else `everyday`."""
    return full if SCALE == "full" else everyday
