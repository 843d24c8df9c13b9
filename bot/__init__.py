"""Cliffhanger's core: configuration, storage, the scheduler and the bot class every cog extends."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .config import Settings
    from .core import Cliffhanger

__all__ = ["__version__", "create_bot"]


def create_bot(settings: Settings, **options: Any) -> Cliffhanger:
    """Build the bot without starting it, so main.py, tests and tools can point it anywhere."""
    from .core import Cliffhanger

    return Cliffhanger(settings, **options)
