"""Tests of kit codes: alphabet, check character, and the typos the check character catches.

References: two check characters computed by hand from the rule
sum(i * value(char_i), i = 1..9) == 0 (mod 31):
- body 23456789 has values 0..7, sum(i * (i - 1)) = 168 = 13 (mod 31); 9c = -13 gives
  c = -13 * 7 = 2 (mod 31) since 9 * 7 = 63 = 1 (mod 31); value 2 is '4'.
- body ZZZZZZZZ has values 30, sum = 30 * 36 = 1080 = 26 (mod 31); c = -26 * 7 = 4 -> '6'.
"""

from __future__ import annotations

import pytest

from psytrial.core.allocation import (
    KIT_ALPHABET,
    KIT_CODE_LENGTH,
    SeededSource,
    check_character,
    is_valid_kit_code,
)
from psytrial.core.allocation._kitcode import draw_kit_codes


def test_its_alphabet_has_no_look_alikes() -> None:
    assert len(KIT_ALPHABET) == 31
    assert len(set(KIT_ALPHABET)) == 31
    assert not set("0O1IL") & set(KIT_ALPHABET)
    assert KIT_CODE_LENGTH == 9


@pytest.mark.parametrize(("body", "check"), [("23456789", "4"), ("ZZZZZZZZ", "6")])
def test_it_computes_the_hand_checked_check_characters(body: str, check: str) -> None:
    assert check_character(body) == check
    assert is_valid_kit_code(body + check)


@pytest.mark.parametrize(
    "code",
    [
        "234567895",  # wrong check character
        "23456789",  # too short
        "2345678944",  # too long
        "2345678O4",  # letter O is not in the alphabet
        "23456789 ",
        "a34567894",  # lower case is not accepted
        "",
        None,
        234567894,
    ],
)
def test_it_rejects_malformed_codes(code: object) -> None:
    assert not is_valid_kit_code(code)


@pytest.mark.parametrize("body", ["2345678", "2345678O", "234567890"])
def test_it_refuses_a_bad_body(body: str) -> None:
    with pytest.raises(ValueError, match="body: expected 8 characters"):
        check_character(body)


def _codes(count: int) -> list[str]:
    return draw_kit_codes(SeededSource(77), count)


def test_it_catches_every_single_character_substitution() -> None:
    for code in _codes(40):
        for i in range(KIT_CODE_LENGTH):
            for char in KIT_ALPHABET:
                if char != code[i]:
                    assert not is_valid_kit_code(code[:i] + char + code[i + 1 :])


def test_it_catches_every_transposition_of_two_different_characters() -> None:
    for code in _codes(200):
        for i in range(KIT_CODE_LENGTH):
            for j in range(i + 1, KIT_CODE_LENGTH):
                if code[i] != code[j]:
                    chars = list(code)
                    chars[i], chars[j] = chars[j], chars[i]
                    assert not is_valid_kit_code("".join(chars))


def test_drawn_codes_agree_with_check_character() -> None:
    for code in _codes(500):
        assert check_character(code[:8]) == code[8]


def test_drawn_codes_use_every_character_in_every_position() -> None:
    codes = _codes(3000)
    for position in range(8):
        assert {code[position] for code in codes} == set(KIT_ALPHABET)
