"""Kit codes: random labels for drug kits that reveal nothing and catch typos.

A kit code is 8 characters drawn uniformly and independently of the arm from a 31-character
alphabet without the look-alikes 0/O, 1/I/L, followed by one check character. Codes are
unique within a list; a collision is simply redrawn.

The check character c makes sum(i * value(char_i) for i = 1..9) divisible by 31. Because 31 is
prime and every weight and every difference of two character values lies in 1..30 (mod 31), this
detects every single-character substitution and every transposition of two characters, adjacent
or not: the weighted-sum construction of ISO/IEC 7064's pure systems, here with modulus 31.
"""

from __future__ import annotations

from typing import Final

from psytrial.core.drbg import RandomSource

__all__ = [
    "KIT_ALPHABET",
    "KIT_CODE_LENGTH",
    "check_character",
    "draw_kit_codes",
    "is_valid_kit_code",
]

KIT_ALPHABET: Final = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
KIT_BODY_LENGTH: Final = 8
KIT_CODE_LENGTH: Final = KIT_BODY_LENGTH + 1
_MOD: Final = len(KIT_ALPHABET)  # 31, prime
_SPACE: Final = _MOD**KIT_BODY_LENGTH
_INVERSE_OF_LAST_WEIGHT: Final = pow(KIT_CODE_LENGTH, -1, _MOD)
_VALUE: Final = {char: value for value, char in enumerate(KIT_ALPHABET)}

# Drawing 100,000 codes is hot; two characters at a time halves the divisions and lookups.
_PAIR: Final = _MOD * _MOD
_PAIR_TEXT: Final = tuple(KIT_ALPHABET[i // _MOD] + KIT_ALPHABET[i % _MOD] for i in range(_PAIR))
_PAIR_WEIGHTED: Final = tuple(
    tuple(((2 * p + 1) * (i // _MOD) + (2 * p + 2) * (i % _MOD)) % _MOD for i in range(_PAIR))
    for p in range(KIT_BODY_LENGTH // 2)
)


def _check_value(weighted_body_sum: int) -> int:
    return (-weighted_body_sum * _INVERSE_OF_LAST_WEIGHT) % _MOD


def check_character(body: str) -> str:
    """The check character that completes an 8-character body into a valid kit code."""
    if len(body) != KIT_BODY_LENGTH or any(char not in _VALUE for char in body):
        raise ValueError(
            f"body: expected {KIT_BODY_LENGTH} characters from {KIT_ALPHABET}, got {body!r}"
        )
    total = sum((i + 1) * _VALUE[char] for i, char in enumerate(body))
    return KIT_ALPHABET[_check_value(total)]


def is_valid_kit_code(code: object) -> bool:
    """True when `code` is 9 characters of the kit alphabet with a correct check character."""
    if not isinstance(code, str) or len(code) != KIT_CODE_LENGTH:
        return False
    total = 0
    for i, char in enumerate(code):
        value = _VALUE.get(char)
        if value is None:
            return False
        total += (i + 1) * value
    return total % _MOD == 0


def _encode(number: int) -> str:
    """The kit code whose body is `number` written in base 31, most significant first."""
    rest, p4 = divmod(number, _PAIR)
    rest, p3 = divmod(rest, _PAIR)
    p1, p2 = divmod(rest, _PAIR)
    w = _PAIR_WEIGHTED
    total = w[0][p1] + w[1][p2] + w[2][p3] + w[3][p4]
    check = KIT_ALPHABET[_check_value(total)]
    return _PAIR_TEXT[p1] + _PAIR_TEXT[p2] + _PAIR_TEXT[p3] + _PAIR_TEXT[p4] + check


def draw_kit_codes(source: RandomSource, count: int) -> list[str]:
    """`count` distinct kit codes, each body uniform over 31**8 values, redrawn on collision."""
    used: set[int] = set()
    codes: list[str] = []
    randbelow = source.randbelow
    while len(codes) < count:
        number = randbelow(_SPACE)
        if number in used:
            continue
        used.add(number)
        codes.append(_encode(number))
    return codes
