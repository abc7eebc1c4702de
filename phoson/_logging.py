"""The `phoson` logger. `PHOSON_LOG=debug|info|warning|error|critical` turns it on at that
level, printing to stderr; any other value is reported once, as a warning, and ignored.

Nothing the SDK logs contains the API key: records carry the method, URL, status, request id,
elapsed time and retry count, never headers or bodies; and a filter on the logger redacts any
key a client has used from every record, as a last line of defence (`phoson._redact`).
"""

from __future__ import annotations

import logging
import os

from ._redact import RedactingFilter

__all__ = ["LEVELS", "configure_from_env", "logger"]

logger = logging.getLogger("phoson")
logger.addFilter(RedactingFilter())

#: PHOSON_LOG's values (any case) and the levels they set.
LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}
_configured = False


def configure_from_env() -> None:
    """Apply `PHOSON_LOG` once per process: add a stderr handler at that level.

    Unset or blank leaves logging alone. An unknown value is reported once (a warning on the
    `phoson` logger, which Python prints to stderr when logging is not configured) and
    otherwise ignored.
    """
    global _configured
    if _configured:
        return
    _configured = True
    value = os.environ.get("PHOSON_LOG", "").strip()
    if not value:
        return
    level = LEVELS.get(value.lower())
    if level is None:
        logger.warning(
            "PHOSON_LOG=%r is not a log level: use one of %s; logging stays off",
            value,
            ", ".join(LEVELS),
        )
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("[%(asctime)s %(levelname)s %(name)s] %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
