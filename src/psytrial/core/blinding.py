"""Blinding: how well it held (blinding indices) and who may see what (the blinding policy).

Two things live here because both answer "is the blind intact?":

1. The blinding indices computed from end-of-study guesses of one guesser role in a two-arm
   trial: Bang's index per arm (Bang, Ni & Davis 2004, Controlled Clinical Trials 25:143-156)
   and James' index for the whole table (James, Bloch, Lee, Kraemer & Fuller 1996, Statistics
   in Medicine 15:1421-1434), each with a Wald confidence interval. Formulas and their
   interpretation are in docs/methods-blinding.md.
2. The blinding policy: pure predicates the web layer calls before it shows sealed data (the
   allocation, doses in mg and what derives from them) or an instrument whose content reveals
   the arm. They take everything they decide on as arguments, so the web layer cannot forget a
   condition and tests can cover every role.

An index that is mathematically undefined for the data (an arm nobody answered for; James'
kappa with no expected disagreement) is returned with `estimate=None` and a `note` saying why,
rather than as NaN, so that reports and JSON exports never carry NaN.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from math import sqrt
from statistics import NormalDist

from psytrial.core.errors import BlindingError, DataError
from psytrial.core.roles import ARM_REVEALING_HIDDEN_FROM, BlindStatus, Role

DONT_KNOW = "dont_know"
"""The guess value for "I don't know"; any other guess names an arm."""


class Guesser(StrEnum):
    """Whose guesses a table holds. Staff guessers use the same names as their `Role`."""

    PARTICIPANT = "participant"
    PSYCHOTHERAPIST = "psychotherapist"
    SESSION_CLINICIAN = "session_clinician"
    OUTCOME_RATER = "outcome_rater"


# --------------------------------------------------------------------------------------------
# Guess tables
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArmGuesses:
    """The guesses about the participants of one arm: right arm, the other arm, don't know."""

    correct: int
    incorrect: int
    dont_know: int

    def __post_init__(self) -> None:
        for name in ("correct", "incorrect", "dont_know"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise DataError(f"{name}: expected a count (integer >= 0), got {value!r}")

    @property
    def n(self) -> int:
        return self.correct + self.incorrect + self.dont_know

    @property
    def guessed(self) -> int:
        return self.correct + self.incorrect


@dataclass(frozen=True)
class GuessTable:
    """The 2 x 3 table of one guesser role: for each arm, correct / incorrect / don't know."""

    treatment_arm: str
    control_arm: str
    treatment: ArmGuesses
    control: ArmGuesses

    def __post_init__(self) -> None:
        if self.treatment_arm == self.control_arm:
            raise DataError(
                f"control_arm: expected an arm other than the treatment arm, "
                f"got {self.control_arm!r} twice"
            )

    @property
    def n(self) -> int:
        return self.treatment.n + self.control.n

    def arm(self, arm_id: str) -> ArmGuesses:
        if arm_id == self.treatment_arm:
            return self.treatment
        if arm_id == self.control_arm:
            return self.control
        raise DataError(
            f"arm: expected {self.treatment_arm!r} or {self.control_arm!r}, got {arm_id!r}"
        )


def guess_table(
    guesses: Iterable[tuple[str, str]], treatment_arm: str, control_arm: str
) -> GuessTable:
    """Tabulate (actual arm, guess) pairs; a guess is an arm id or `DONT_KNOW`."""
    arms = (treatment_arm, control_arm)
    counts = {arm: {"correct": 0, "incorrect": 0, "dont_know": 0} for arm in arms}
    for i, (actual, guess) in enumerate(guesses):
        if actual not in arms:
            raise DataError(f"guesses[{i}].arm: expected one of {list(arms)}, got {actual!r}")
        if guess == DONT_KNOW:
            counts[actual]["dont_know"] += 1
        elif guess == actual:
            counts[actual]["correct"] += 1
        elif guess in arms:
            counts[actual]["incorrect"] += 1
        else:
            expected = [*arms, DONT_KNOW]
            raise DataError(f"guesses[{i}].guess: expected one of {expected}, got {guess!r}")
    return GuessTable(
        treatment_arm=treatment_arm,
        control_arm=control_arm,
        treatment=ArmGuesses(**counts[treatment_arm]),
        control=ArmGuesses(**counts[control_arm]),
    )


# --------------------------------------------------------------------------------------------
# Indices
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndexEstimate:
    """A blinding index with its standard error and two-sided Wald interval.

    `estimate`, `se` and `ci` are None together when the index is undefined; `note` says why.
    The interval is not clipped to the index's range, so that it can be compared with other
    software; read a limit beyond the range as the range's end.
    """

    estimate: float | None
    se: float | None
    ci: tuple[float, float] | None
    level: float
    note: str = ""

    @property
    def defined(self) -> bool:
        return self.estimate is not None

    @property
    def variance(self) -> float | None:
        return None if self.se is None else self.se**2


def _z(level: float) -> float:
    if not 0.0 < level < 1.0:
        raise DataError(f"level: expected a confidence level between 0 and 1, got {level!r}")
    return NormalDist().inv_cdf(0.5 + level / 2.0)


def _estimate(value: float, variance: float, level: float) -> IndexEstimate:
    # Rounding can push a zero variance a hair below zero.
    se = sqrt(max(variance, 0.0))
    half = _z(level) * se
    return IndexEstimate(estimate=value, se=se, ci=(value - half, value + half), level=level)


def _undefined(level: float, note: str) -> IndexEstimate:
    _z(level)
    return IndexEstimate(estimate=None, se=None, ci=None, level=level, note=note)


def bang_index(arm: ArmGuesses, level: float = 0.95) -> IndexEstimate:
    """Bang's blinding index of one arm, in -1..1.

    BI = (2 * correct / guessed - 1) * guessed / n = (correct - incorrect) / n, with the
    multinomial variance [p_c (1 - p_c) + p_i (1 - p_i) + 2 p_c p_i] / n (Bang et al. 2004).
    """
    if arm.n == 0:
        return _undefined(level, "no guesses for this arm")
    p_c = arm.correct / arm.n
    p_i = arm.incorrect / arm.n
    variance = (p_c * (1 - p_c) + p_i * (1 - p_i) + 2 * p_c * p_i) / arm.n
    return _estimate(p_c - p_i, variance, level)


def james_index(table: GuessTable, level: float = 0.95) -> IndexEstimate:
    """James' blinding index for the whole table, in 0..1, with James et al.'s variance.

    BI = (1 + P_dk + (1 - P_dk) * K_d) / 2, where P_dk is the share of "don't know" and K_d the
    weighted disagreement kappa among those who guessed (weight 0 for a correct guess, a
    positive constant for an incorrect one: with two arms the constant cancels).
    """
    n = table.n
    if n == 0:
        return _undefined(level, "no guesses")
    # cells[g][a]: share of all respondents who guessed arm g and are in arm a (0 = treatment).
    t, c = table.treatment, table.control
    cells = ((t.correct / n, c.incorrect / n), (t.incorrect / n, c.correct / n))
    p_dk = (t.dont_know + c.dont_know) / n
    if p_dk == 1.0:
        # James et al. 1996, p. 1425: everyone answering "don't know" is complete blinding.
        return _estimate(1.0, 0.0, level)
    return _james_from_cells(cells, p_dk, n, level)


def _weight(guess: int, actual: int) -> float:
    return 0.0 if guess == actual else 1.0


def _james_from_cells(
    cells: tuple[tuple[float, float], tuple[float, float]], p_dk: float, n: int, level: float
) -> IndexEstimate:
    idx = (0, 1)
    guessed = 1.0 - p_dk
    row = [cells[g][0] + cells[g][1] for g in idx]  # share guessing arm g
    col = [cells[0][a] + cells[1][a] for a in idx]  # share in arm a among those who guessed
    observed = sum(_weight(g, a) * cells[g][a] for g in idx for a in idx)
    expected = sum(_weight(g, a) * row[g] * col[a] for g in idx for a in idx)
    if expected == 0.0:
        return _undefined(
            level, "every guess fell in one cell, so no disagreement was expected by chance"
        )
    p_do = observed / guessed
    p_de = expected / guessed**2
    k_d = (p_do - p_de) / p_de
    value = (1.0 + p_dk + guessed * k_d) / 2.0
    first = 0.0
    for g in idx:
        for a in idx:
            spread = sum(_weight(r, a) * row[r] + _weight(g, r) * col[r] for r in idx)
            first += cells[g][a] * guessed**2 * (guessed * _weight(g, a) - (1 + k_d) * spread) ** 2
    first /= 4.0 * expected**2
    second = p_dk * guessed - guessed * (1 + k_d) * (p_dk + guessed * (1 + k_d) / 4.0)
    return _estimate(value, (first + second) / n, level)


@dataclass(frozen=True)
class BlindingAssessment:
    """Both indices for one guesser role: Bang's per arm id, James' for the whole table."""

    guesser: Guesser
    table: GuessTable
    bang: Mapping[str, IndexEstimate]
    james: IndexEstimate


def assess_blinding(
    guesser: Guesser | str, table: GuessTable, level: float = 0.95
) -> BlindingAssessment:
    try:
        who = Guesser(guesser)
    except ValueError:
        expected = [g.value for g in Guesser]
        raise DataError(f"guesser: expected one of {expected}, got {guesser!r}") from None
    return BlindingAssessment(
        guesser=who,
        table=table,
        bang={
            table.treatment_arm: bang_index(table.treatment, level),
            table.control_arm: bang_index(table.control, level),
        },
        james=james_index(table, level),
    )


# --------------------------------------------------------------------------------------------
# Policy
# --------------------------------------------------------------------------------------------

NEVER_UNBLINDED: frozenset[Role] = frozenset({Role.ADMINISTRATOR})
"""Roles that no protocol setting unblinds: administering the system is not a reason to know."""

EMERGENCY_UNBLINDING_ROLES: frozenset[Role] = frozenset({Role.INVESTIGATOR})
"""Roles to which an emergency unblinding grant (one participant, with a reason) may be given."""


def may_see_sealed(
    role: Role,
    blind_status_map: Mapping[Role, BlindStatus],
    database_locked: bool,
    emergency_grant: bool = False,
) -> bool:
    """Whether `role` may read sealed data (arm, dose in mg and what derives from them).

    A role missing from `blind_status_map` is treated as blind (fail closed). `emergency_grant`
    says the acting user holds an emergency unblinding grant for the participant concerned; it
    counts only for roles in EMERGENCY_UNBLINDING_ROLES.
    """
    if role in NEVER_UNBLINDED:
        return False
    status = blind_status_map.get(role, BlindStatus.BLIND)
    if status == BlindStatus.UNBLINDED:
        return True
    if status == BlindStatus.UNTIL_LOCK and database_locked:
        return True
    return emergency_grant and role in EMERGENCY_UNBLINDING_ROLES


def may_see_instrument(role: Role, reveals_arm: bool) -> bool:
    """Whether `role` may see an instrument's data; arm-revealing ones are hidden from raters."""
    return not (reveals_arm and role in ARM_REVEALING_HIDDEN_FROM)


def check_blind_status_map(blind_status_map: Mapping[Role, BlindStatus]) -> None:
    """Raise BlindingError if a protocol's map tries to unblind a role that is never unblinded."""
    for role in sorted(NEVER_UNBLINDED):
        status = blind_status_map.get(role, BlindStatus.BLIND)
        if status != BlindStatus.BLIND:
            raise BlindingError(
                f"blinding.{role.value}: expected '{BlindStatus.BLIND.value}' "
                f"(this role is never unblinded), got '{status.value}'"
            )
