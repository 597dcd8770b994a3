"""A seeded synthetic trial in tidy tables, for the pipeline and report tests and the benchmark.

`make_trial(n, seed)` builds every table of docs/tidy-tables.md for a kpt2002-shaped trial with
arms ("high", "low"): monthly follow-up to 24 months with relapses, missed visits, losses,
withdrawals and deaths; HRS clusters after the session; craving (VAS) at months 0, 1, 3, 6,
12, 18, 24; colour-test positivity of the protocol's five concepts at 0, 1, 3, 6, 12, 24;
blinding guesses of the participant and therapist after the session and of the rater at month
12; adverse events; a screening log. Every draw is vectorized (numpy), so 100,000 participants
take seconds.

ASSUMPTION: every effect size and rate here is made up for testing; none is published.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from psytrial.stats.tables import TrialTables, validate

ARMS = ("high", "low")
CLUSTERS = ("somaesthesia", "affect", "perception", "cognition", "volition", "intensity")
CONCEPTS = ("myself", "my_future", "heroin", "my_ideal_self", "my_life_without_heroin")
CRAVING_MONTHS = (0, 1, 3, 6, 12, 18, 24)
COLOUR_MONTHS = (0, 1, 3, 6, 12, 24)
START = np.datetime64("2000-01-03")


@dataclass(frozen=True)
class Rates:
    """Monthly relapse probability per arm and the other made-up rates (ASSUMPTION)."""

    relapse: tuple[float, float] = (0.05, 0.11)
    missed: float = 0.05
    lost: float = 0.08
    withdrawn: float = 0.03
    died: float = 0.01
    not_received: float = 0.02


def make_trial(n: int = 70, seed: int = 20020401, rates: Rates | None = None) -> TrialTables:
    """Validated tables of `n` randomized participants (plus screened-out people)."""
    return validate(make_frames(n, seed, rates), ARMS)


def make_frames(n: int, seed: int, rates: Rates | None = None) -> dict[str, pd.DataFrame]:
    """The raw DataFrames (before validation), table name -> frame."""
    rng = np.random.default_rng(seed)
    rates = rates or Rates()
    people = _participants(rng, n, rates)
    followup = _followup(rng, people, rates)
    people = people.drop(columns="_end_month")
    return {
        "participants": people,
        "followup": followup,
        "scores": _scores(rng, people),
        "adverse_events": _adverse_events(rng, people),
        "blinding_guesses": _guesses(rng, people),
        "screening": _screening(rng, people),
    }


def _pids(n: int) -> np.ndarray:
    width = max(3, len(str(n)))
    return np.array([f"P{i:0{width}d}" for i in range(1, n + 1)], dtype=object)


def _participants(rng: np.random.Generator, n: int, rates: Rates) -> pd.DataFrame:
    arm = np.where(rng.permutation(n) % 2 == 0, ARMS[0], ARMS[1]).astype(object)
    day = START + np.sort(rng.integers(0, 730, n)).astype("timedelta64[D]")
    fate = rng.choice(
        ["completed", "lost_to_follow_up", "withdrawn", "died"],
        size=n,
        p=[1 - rates.lost - rates.withdrawn - rates.died, rates.lost, rates.withdrawn, rates.died],
    ).astype(object)
    end_month = np.where(fate == "completed", 24, rng.integers(1, 24, n))
    ended_at = np.where(fate == "completed", np.datetime64("NaT"), _add_months(day, end_month))
    reasons = {
        "lost_to_follow_up": "moved away",
        "withdrawn": "withdrew consent",
        "died": "overdose",
    }
    received = np.where(rng.random(n) < rates.not_received, "no", "yes").astype(object)
    sex = np.where(rng.random(n) < 0.78, "male", "female").astype(object)
    return pd.DataFrame(
        {
            "participant_id": _pids(n),
            "site": "spb",
            "stratum": sex,
            "arm": arm,
            "randomized_at": day,
            "sex": sex,
            "age": rng.integers(18, 45, n),
            "weight_kg": np.round(rng.normal(68, 9, n).clip(45, 110), 1),
            "years_heroin_use": np.round(rng.uniform(1, 12, n), 1),
            "status": fate,
            "received_allocated": received,
            "not_received_reason": np.where(received == "no", "refused the session", ""),
            "ended_at": ended_at,
            "end_reason": [reasons.get(f, "") for f in fate],
            "not_analysed_reason": "",
            "_end_month": end_month,
        }
    )


def _add_months(day: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Day + m calendar months with the day of month clamped to 28 (vectorized)."""
    month_start = day.astype("datetime64[M]")
    day_of_month = (day - month_start.astype("datetime64[D]")).astype(int)
    shifted = (month_start + months.astype("timedelta64[M]")).astype("datetime64[D]")
    return shifted + np.minimum(day_of_month, 27).astype("timedelta64[D]")


def _followup(rng: np.random.Generator, people: pd.DataFrame, rates: Rates) -> pd.DataFrame:
    n = len(people)
    months = np.arange(1, 25)
    high = (people["arm"] == ARMS[0]).to_numpy()
    p = np.where(high, rates.relapse[0], rates.relapse[1])
    # First month of use (> 24 = never); a rate of 0 never relapses.
    relapse_month = np.where(p > 0, rng.geometric(np.clip(p, 1e-9, 1.0)), 999)
    ends = people["_end_month"].to_numpy()
    pid = np.repeat(people["participant_id"].to_numpy(), 24)
    month = np.tile(months, n)
    keep = month <= np.repeat(ends, 24)
    keep &= ~(
        (np.repeat(people["status"].to_numpy(), 24) != "completed") & (month == np.repeat(ends, 24))
    )
    using = month >= np.repeat(relapse_month, 24)
    missed = rng.random(n * 24) < rates.missed
    day = _add_months(np.repeat(people["randomized_at"].to_numpy(), 24), month)
    urine_done = rng.random(n * 24) < 0.8
    frame = pd.DataFrame(
        {
            "participant_id": pid,
            "month": month,
            "visit_date": np.where(missed, np.datetime64("NaT"), day),
            "status": np.where(missed, "missed", "attended"),
            "heroin_use": np.where(missed, "", np.where(using, "yes", "no")),
            "urine": np.where(
                missed,
                "",
                np.where(urine_done, np.where(using, "positive", "negative"), "not_done"),
            ),
            "collateral": np.where(missed, "", "unknown"),
            "abstinent": np.where(missed, "", np.where(using, "no", "yes")),
        }
    )
    return frame[keep].reset_index(drop=True)


def _scores(rng: np.random.Generator, people: pd.DataFrame) -> pd.DataFrame:
    n = len(people)
    pid = people["participant_id"].to_numpy()
    high = (people["arm"] == ARMS[0]).to_numpy()
    parts = [_hrs(rng, pid, high), _craving(rng, pid, high), _colour(rng, pid, high)]
    return pd.concat(parts, ignore_index=True) if n else parts[0]


def _hrs(rng: np.random.Generator, pid: np.ndarray, high: np.ndarray) -> pd.DataFrame:
    k = len(CLUSTERS)
    base = np.where(high, 2.4, 0.9)
    value = (np.repeat(base, k) + rng.normal(0, 0.6, len(pid) * k)).clip(0, 4)
    return pd.DataFrame(
        {
            "participant_id": np.repeat(pid, k),
            "instrument": "hrs",
            "visit": "session",
            "month": pd.array([None] * (len(pid) * k), dtype="Int64"),
            "item_or_scale": np.tile(CLUSTERS, len(pid)),
            "value": np.round(value, 2),
        }
    )


def _craving(rng: np.random.Generator, pid: np.ndarray, high: np.ndarray) -> pd.DataFrame:
    months = np.array(CRAVING_MONTHS)
    k = len(months)
    n = len(pid)
    person = np.repeat(rng.normal(0, 10, n), k)
    month = np.tile(months, n)
    drop = np.repeat(np.where(high, 30.0, 18.0), k) * (month > 0) * (1 - month / 48)
    value = (62 + person - drop + rng.normal(0, 8, n * k)).clip(0, 100)
    observed = (month == 0) | (rng.random(n * k) > 0.1)
    visit = np.array(["baseline" if m == 0 else f"m{m:02d}" for m in months], dtype=object)
    frame = pd.DataFrame(
        {
            "participant_id": np.repeat(pid, k),
            "instrument": "craving",
            "visit": np.tile(visit, n),
            "month": month,
            "item_or_scale": "craving",
            "value": np.round(value, 1),
        }
    )
    return frame[observed]


def _colour(rng: np.random.Generator, pid: np.ndarray, high: np.ndarray) -> pd.DataFrame:
    months = np.array(COLOUR_MONTHS)
    c, k, n = len(CONCEPTS), len(months), len(pid)
    month = np.tile(np.repeat(months, c), n)
    gain = np.repeat(np.where(high, 1.5, 0.6), k * c) * (month > 0)
    value = np.rint((3 + gain + rng.normal(0, 1.3, n * k * c)).clip(0, 7))
    visit = np.array(["baseline" if m == 0 else f"m{m:02d}" for m in months], dtype=object)
    return pd.DataFrame(
        {
            "participant_id": np.repeat(pid, k * c),
            "instrument": "colour_test",
            "visit": np.tile(np.repeat(visit, c), n),
            "month": month,
            "item_or_scale": np.tile(CONCEPTS, n * k),
            "value": value,
        }
    )


def _adverse_events(rng: np.random.Generator, people: pd.DataFrame) -> pd.DataFrame:
    n = len(people)
    high = (people["arm"] == ARMS[0]).to_numpy()
    has = rng.random(n) < np.where(high, 0.5, 0.25)
    idx = np.flatnonzero(has)
    terms = np.array(["Nausea", "Dizziness", "Hypertension", "Anxiety", "Overdose"], dtype=object)
    term = terms[rng.choice(5, size=idx.size, p=[0.35, 0.3, 0.15, 0.15, 0.05])]
    serious = term == "Overdose"
    severity = np.where(serious, "severe", rng.choice(["mild", "moderate"], idx.size))
    onset = people["randomized_at"].to_numpy()[idx] + rng.integers(5, 300, idx.size).astype(
        "timedelta64[D]"
    )
    return pd.DataFrame(
        {
            "participant_id": people["participant_id"].to_numpy()[idx],
            "term": term,
            "onset_date": onset,
            "serious": np.where(serious, "yes", "no"),
            "severity": severity,
            "related": np.where(
                serious, "not_related", rng.choice(["possible", "probable"], idx.size)
            ),
            "outcome": np.where(serious, "recovered_with_sequelae", "recovered"),
        }
    )


def _guesses(rng: np.random.Generator, people: pd.DataFrame) -> pd.DataFrame:
    n = len(people)
    arm = people["arm"].to_numpy()
    other = np.where(arm == ARMS[0], ARMS[1], ARMS[0])
    frames = []
    for role, visit, right in (
        ("participant", "integration1", 0.75),
        ("therapist", "integration1", 0.7),
        ("rater", "m12", 0.55),
    ):
        u = rng.random(n)
        guess = np.where(u < right * 0.85, arm, np.where(u < 0.85, other, "dont_know"))
        frames.append(
            pd.DataFrame(
                {
                    "participant_id": people["participant_id"].to_numpy(),
                    "guesser_role": role,
                    "guessed_arm": guess,
                    "confidence": rng.integers(0, 101, n).astype(float),
                    "visit": visit,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _screening(rng: np.random.Generator, people: pd.DataFrame) -> pd.DataFrame:
    n = len(people)
    extra = max(2, n // 5)
    reasons = np.array(["methadone maintenance", "psychosis", "declined", "left before"])
    kind = rng.choice(4, extra)
    first = people["randomized_at"].to_numpy()[0] if n else START
    return pd.DataFrame(
        {
            "screening_id": [f"S{i:06d}" for i in range(1, n + extra + 1)],
            "screened_at": np.concatenate(
                [people["randomized_at"].to_numpy(), np.repeat(first, extra)]
            ),
            "eligible": np.concatenate([np.repeat("yes", n), np.where(kind < 2, "no", "yes")]),
            "exclusion_reason": np.concatenate([np.repeat("", n), reasons[kind]]),
            "consented": np.concatenate(
                [np.repeat("yes", n), np.where(kind < 2, "", np.where(kind == 2, "no", "yes"))]
            ),
            "participant_id": np.concatenate(
                [people["participant_id"].to_numpy(), np.repeat("", extra)]
            ),
        }
    )
