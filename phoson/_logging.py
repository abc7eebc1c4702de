"""The `phoson` logger. `PHOSON_LOG=debug|info` turns it on, printing to stderr.

Nothing the SDK logs contains the API key: records carry the method, URL, status, request id,
elapsed time and retry count, never headers or bodies; and a filter on the logger redacts any
key a client has used from every record, as a last line of defence (`phoson._redact`).
"""

from __future__ import annotations

import logging
import os

from ._redact import RedactingFilter

__all__ = ["configure_from_env", "logger"]

logger = logging.getLogger("phoson")
logger.addFilter(RedactingFilter())

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}
_configured = False


def configure_from_env() -> None:
    """Apply `PHOSON_LOG` once per process: add a stderr handler at that level."""
    global _configured
    if _configured:
        return
    _configured = True
    level = _LEVELS.get(os.environ.get("PHOSON_LOG", "").strip().lower())
    if level is None:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("[%(asctime)s %(levelname)s %(name)s] %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
