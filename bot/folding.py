"""Text folding for matching what members type: case-, accent- and spacing-insensitive."""

from __future__ import annotations

import unicodedata

__all__ = ["fold"]


def fold(text: str) -> str:
    """Casefolded, accents stripped, compatibility forms unified, invisible characters dropped
    and runs of whitespace collapsed,
    so "Hélly  R." and "helly r." compare equal."""
    decomposed = unicodedata.normalize("NFKD", text)
    # Combining marks (accents) and format characters (zero-width spaces) go.
    stripped = "".join(
        c for c in decomposed if not unicodedata.combining(c) and unicodedata.category(c) != "Cf"
    )
    return " ".join(stripped.casefold().split())
