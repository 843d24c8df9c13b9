"""Text folding for matching what members type: case-, accent-, spacing- and look-alike-insensitive.

Spoiler words are matched on folded text, so whatever fold() leaves different is a way to slip a
word past the checks. It drops every default-ignorable code point (invisible joiners, variation
selectors, U+034F...) and maps look-alike letters to one skeleton, after Unicode's confusables data
(UTS #39, as packaged by `confusable-homoglyphs`): "R\u0435ghabi" (a Cyrillic e) folds like "Reghabi".
"""

from __future__ import annotations

import functools
import unicodedata

__all__ = ["DEFAULT_IGNORABLE", "fold", "is_default_ignorable", "skeleton"]

# Unicode's Default_Ignorable_Code_Point property (DerivedCoreProperties.txt, Unicode 15.1): code points
# that render as nothing unless a font shows them on purpose. Python's unicodedata has no accessor
# for the property, so these are its ranges; the `Cf` category (format characters) is dropped too.
DEFAULT_IGNORABLE: tuple[tuple[int, int], ...] = (
    (0x00AD, 0x00AD),  # SOFT HYPHEN
    (0x034F, 0x034F),  # COMBINING GRAPHEME JOINER
    (0x061C, 0x061C),  # ARABIC LETTER MARK
    (0x115F, 0x1160),  # HANGUL CHOSEONG/JUNGSEONG FILLER
    (0x17B4, 0x17B5),  # KHMER VOWEL INHERENT AQ, AA
    (0x180B, 0x180F),  # MONGOLIAN FREE VARIATION SELECTORS, VOWEL SEPARATOR
    (0x200B, 0x200F),  # ZERO WIDTH SPACE, ZWNJ, ZWJ, LRM, RLM
    (0x202A, 0x202E),  # bidirectional embeddings and overrides
    (0x2060, 0x206F),  # WORD JOINER, invisible operators, bidi isolates, deprecated formats
    (0x3164, 0x3164),  # HANGUL FILLER
    (0xFE00, 0xFE0F),  # VARIATION SELECTORS 1-16
    (0xFEFF, 0xFEFF),  # ZERO WIDTH NO-BREAK SPACE
    (0xFFA0, 0xFFA0),  # HALFWIDTH HANGUL FILLER
    (0xFFF0, 0xFFF8),  # unassigned specials
    (0x1BCA0, 0x1BCA3),  # SHORTHAND FORMAT CONTROLS
    (0x1D173, 0x1D17A),  # MUSICAL SYMBOL BEGIN/END BEAM, TIE, SLUR, PHRASE
    (0xE0000, 0xE0FFF),  # TAGS, VARIATION SELECTORS 17-256 and the rest of the plane's block
)


def is_default_ignorable(char: str) -> bool:
    """Whether one character is invisible by Unicode's rules (or a format character)."""
    code = ord(char)
    return unicodedata.category(char) == "Cf" or any(lo <= code <= hi for lo, hi in DEFAULT_IGNORABLE)


@functools.cache
def _ignorable_table() -> dict[int, None]:
    table: dict[int, None] = {code: None for lo, hi in DEFAULT_IGNORABLE for code in range(lo, hi + 1)}
    # Every format character of the running Python's Unicode version, whichever block it is in.
    table.update({code: None for code in range(0x110000) if unicodedata.category(chr(code)) == "Cf"})
    return table


def _drop_ignorable(text: str) -> str:
    return text.translate(_ignorable_table())


@functools.cache
def _skeleton_table() -> dict[int, str]:
    """Each non-ASCII look-alike code point -> the letter it imitates, from UTS #39's confusables.txt.

    confusable-homoglyphs stores the file both ways round: a look-alike lists its one prototype, and
    a prototype lists all its look-alikes. ASCII is taken as typed (so "I" stays a capital i rather
    than the prototype "l", and case-insensitive matching keeps working); a non-ASCII look-alike maps
    to its prototype, or, when it is a capital and the prototype is not, to the ASCII capital among
    the prototype's look-alikes (Cyrillic "\u0406" to "I"). A pair that list only each other fold onto
    the smaller code point. Look-alikes of more than one code point ("rn" for "m") are left alone.
    """
    from confusable_homoglyphs.confusables import confusables_data

    def clean(text: str) -> str:
        return _drop_ignorable(unicodedata.normalize("NFD", text))  # the data wraps RTL letters in LRMs

    homoglyphs: dict[str, list[str]] = {}
    for raw, entries in confusables_data.items():
        key = clean(raw)
        if len(key) == 1:
            homoglyphs.setdefault(key, []).extend(c for c in (clean(e["c"]) for e in entries) if c)
    table: dict[int, str] = {}
    for key, glyphs in homoglyphs.items():
        if key.isascii() or len(glyphs) != 1 or len(glyphs[0]) != 1 or glyphs[0] == key:
            continue  # ASCII, a prototype (it lists its look-alikes), or a many-letter look-alike
        target = glyphs[0]
        if homoglyphs.get(target) == [key] and target > key:
            continue  # a pair listing only each other: the larger maps to the smaller
        if key.isupper() and not target.isupper():
            capitals = [c for c in homoglyphs.get(target, ()) if c.isascii() and c.isupper()]
            target = capitals[0] if capitals else target
        table[ord(key)] = target
    return table


def skeleton(text: str) -> str:
    """The skeleton of `text` (after UTS #39, ASCII taken as typed): decomposed, invisible code points
    dropped, each non-ASCII look-alike replaced by the letter it imitates."""
    text = _drop_ignorable(unicodedata.normalize("NFD", text))
    return unicodedata.normalize("NFD", text.translate(_skeleton_table()))


def fold(text: str) -> str:
    """Casefolded, accents stripped, compatibility forms unified, invisible characters dropped,
    look-alikes replaced by what they imitate and runs of whitespace collapsed, so "Hélly  R.",
    "helly r." and "\u041d\u0435ll\u0443 R." (Cyrillic H, e and y) compare equal."""
    folded = skeleton(unicodedata.normalize("NFKD", text)).casefold()
    folded = unicodedata.normalize("NFKD", skeleton(folded)).casefold()  # look-alikes only in lower case
    # Combining marks (accents) go; the skeleton may have brought some back.
    stripped = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(_drop_ignorable(stripped).split())
