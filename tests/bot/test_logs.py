"""Tokens never reach a log line, even inside a traceback."""

from __future__ import annotations

import io
import logging

from bot.logs import REDACTED, setup_logging
from tests.loopback import BOT_TOKEN


def test_tokens_are_redacted_from_messages_args_and_tracebacks() -> None:
    stream = io.StringIO()
    handler = setup_logging("DEBUG", secrets=[BOT_TOKEN], stream=stream)
    try:
        log = logging.getLogger("test.redaction")
        log.info("connecting with %s", BOT_TOKEN)
        log.warning(
            "a token-shaped thing: MTIzNDU2Nzg5MDEyMzQ1Njc4OTA.Gh1jK2.abcdefghijklmnopqrstuvwxyz0123456"
        )
        log.info("POST /webhooks/123/aW50ZXJhY3Rpb246abcdefghijklmnopqrstuvwxyz/messages/@original")
        try:
            raise RuntimeError(f"bad auth header Bot {BOT_TOKEN}")
        except RuntimeError:
            log.exception("request failed")
    finally:
        logging.getLogger().removeHandler(handler)
    output = stream.getvalue()
    assert BOT_TOKEN not in output
    assert "Gh1jK2" not in output
    assert "aW50ZXJhY3Rpb246" not in output
    assert output.count(REDACTED) == 4  # message, token shape, webhook path, exception text
    assert "request failed" in output and "RuntimeError" in output
