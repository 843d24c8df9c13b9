"""fold(): the one reading of member text every spoiler-word check uses. Invisible code points and
look-alike letters must not slip a word past it (issue 10, item 5)."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from bot.db.spoiler_words import SpoilerWord
from bot.episodes import EpisodeCode
from bot.folding import DEFAULT_IGNORABLE, fold, is_default_ignorable, skeleton
from bot.spoilers import find_spoiler_word

WORDS = [SpoilerWord(1, EpisodeCode(2, 3), "Reghabi")]
IGNORABLES = sorted({chr(c) for lo, hi in DEFAULT_IGNORABLE for c in range(lo, min(hi, lo + 40) + 1)})
# Non-ASCII letters that Unicode's confusables data says look like an ASCII letter, by that letter.
LOOK_ALIKES = {
    "a": "\u0430\u0251\u03b1",  # Cyrillic, Latin alpha, Greek alpha
    "e": "\u0435\u212e",  # Cyrillic, estimated symbol
    "h": "\u04bb",  # Cyrillic shha
    "i": "\u0456\u0131\u2170",  # Cyrillic, dotless i, small roman numeral one
    "b": "\u0184",  # Latin tone six
    "g": "\u0261",  # Latin script g
    "R": "\u13a1\u01a6",  # Cherokee, Latin yr
}


def test_the_issues_examples_fold_like_the_word() -> None:
    assert fold("Reg\u034fhabi") == fold("Reghabi") == "reghabi"  # combining grapheme joiner
    assert fold("R\u0435ghabi") == "reghabi"  # Cyrillic e
    assert fold("\u041d\u0435ll\u0443 R.") == fold("Helly R.")  # Cyrillic H, e and y


def test_the_named_invisible_ranges_are_dropped() -> None:
    for code in (0x034F, 0x180B, 0x180C, 0x180D, 0x17B4, 0x17B5, 0x200D, 0xFE0F, 0xE0100, 0x2060, 0xAD):
        assert is_default_ignorable(chr(code)), hex(code)
        assert fold(f"Reg{chr(code)}habi") == "reghabi", hex(code)


def test_ascii_is_taken_as_typed() -> None:
    # Case-insensitive as before; digits stay digits ("He11y" is spelling, not a look-alike letter).
    assert fold("IRVING") == fold("irving") == fold("\u0406RVING")  # Cyrillic capital I
    assert fold("He11y") == "he11y"
    assert fold("Ms. Casey") == "ms. casey"


@given(st.text(alphabet=st.characters(codec="ascii"), max_size=40))
def test_ascii_folds_to_its_casefold_with_spaces_collapsed(text: str) -> None:
    assert fold(text) == " ".join(text.casefold().split())


@given(
    st.text(alphabet="Reghabi ", min_size=1, max_size=12),
    st.lists(st.tuples(st.integers(0, 12), st.sampled_from(IGNORABLES)), max_size=6),
)
def test_invisible_code_points_never_change_the_fold(text: str, inserts: list[tuple[int, str]]) -> None:
    spiked = text
    for at, char in inserts:
        spiked = spiked[:at] + char + spiked[at:]
    assert fold(spiked) == fold(text)


@given(st.data())
def test_look_alike_letters_fold_like_the_letter_they_imitate(data: st.DataObject) -> None:
    word = "Reghabi"
    spoofed = "".join(
        data.draw(st.sampled_from([c, *LOOK_ALIKES.get(c, "")])) if c in LOOK_ALIKES else c for c in word
    )
    assert fold(spoofed) == fold(word), spoofed
    assert find_spoiler_word(f"so {spoofed} did it", WORDS) is not None


@given(st.text(max_size=30))
def test_fold_is_stable(text: str) -> None:
    once = fold(text)
    assert fold(once) == once
    assert not any(is_default_ignorable(c) for c in once)
    assert not any(unicodedata.combining(c) for c in once)


@given(st.text(max_size=30))
def test_the_skeleton_drops_invisibles_and_is_idempotent(text: str) -> None:
    once = skeleton(text)
    assert skeleton(once) == once
    assert not any(is_default_ignorable(c) for c in once)
