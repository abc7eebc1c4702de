"""phoson-sdk benchmark suite: `uv run --group bench python -m bench` (see bench/README.md).

Every benchmark measures phoson and its baseline in the same run, on the same machine, and
reports medians of several interleaved runs. Nothing here is collected by pytest.
"""
