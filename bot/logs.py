"""Logging set-up with a filter that keeps bot tokens out of every log line."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from typing import TextIO

__all__ = ["RedactingFilter", "setup_logging"]

# Discord bot tokens: base64 user id, a timestamp part and an HMAC, joined by dots.
_TOKEN_PATTERN = re.compile(r"[MNO][A-Za-z\d_-]{22,}\.[A-Za-z\d_-]{5,7}\.[A-Za-z\d_-]{27,}")
# Interaction and webhook tokens appear in webhook URLs.
_WEBHOOK_PATTERN = re.compile(r"(/(?:webhooks|interactions)/\d+/)[A-Za-z0-9_.\-]{20,}")
REDACTED = "[redacted]"


class RedactingFilter(logging.Filter):
    """Replace known secrets, and anything shaped like a token, in the formatted message."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        text = _TOKEN_PATTERN.sub(REDACTED, text)
        return _WEBHOOK_PATTERN.sub(r"\1" + REDACTED, text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self.redact(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def setup_logging(
    level: int | str, secrets: Iterable[str] = (), stream: TextIO | None = None
) -> logging.Handler:
    """Log to stderr (or `stream`) with timestamps, redacting `secrets`; returns the handler."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)-8s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")
    )
    handler.addFilter(RedactingFilter(secrets))
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if not getattr(h, "_cliffhanger", False)]
    handler._cliffhanger = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # discord.py's HTTP debug lines include request bodies; keep them out unless asked for.
    logging.getLogger("discord.http").setLevel(
        max(logging.INFO, logging.getLevelName(level) if isinstance(level, str) else level)
    )
    return handler
