"""Time to relapse for every participant at once: the rules of `derive`, on numpy arrays.

`derive.participant_outcome` walks one participant's visits in Python; on 100,000
participants x 24 months that walk (and the dict per follow-up row it needs) dominated the
analysis. Here the due visits of all participants form one participants x months matrix of
visit states, and each rule becomes "the first month where ..." over that matrix:

* rule "censor": the first month with confirmed use; else, when the due visits end in a run
  of missed ones, a dropout at the last non-missed month; else censored at the last month.
* rule "relapse": the first month that is either confirmed use or the start of a run of
  missed visits not ended by a verified-abstinent return (or not ended at all); else
  censored at the last month.

The row-by-row walk stays in `derive` as the reference (`_time_to_relapse_reference`), and
tests/stats/test_derive.py checks that both agree on seeded random trials.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

# Visit states as small integers; NOT_DUE marks months after a participant's due months.
MISSED, USE, ABSTINENT, VERIFIED, NOT_DUE = 0, 1, 2, 3, -1
NONE = -2  # "no later non-missed visit"


@dataclass(frozen=True)
class Sources:
    """Which sources confirm use (derive.ConfirmationRule's switches)."""

    self_report: bool
    urine: bool
    collateral: bool


def visit_states(followup: pd.DataFrame, sources: Sources) -> np.ndarray:
    """derive.ConfirmationRule.classify for every follow-up row, as MISSED/USE/...."""
    col = {c: followup[c].to_numpy(dtype=object) for c in ("heroin_use", "urine", "collateral")}
    evidence = [
        (sources.self_report, col["heroin_use"], "yes", "no"),
        (sources.urine, col["urine"], "positive", "negative"),
        (sources.collateral, col["collateral"], "yes", "no"),
    ]
    n = len(followup)
    use, clean = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    for on, values, positive, negative in evidence:
        if on:
            use |= values == positive
            clean |= values == negative
    silent = ~use & ~clean
    abstinent = followup["abstinent"].to_numpy(dtype=object)
    use |= silent & (abstinent == "no")
    clean |= silent & (abstinent == "yes")
    states = np.full(n, MISSED, dtype=np.int8)
    negative_urine = col["urine"] == "negative"
    states[clean & negative_urine] = VERIFIED
    states[clean & ~negative_urine] = ABSTINENT
    states[use] = USE
    states[followup["status"].to_numpy(dtype=object) != "attended"] = MISSED
    return states


def due_counts(
    randomized_at: pd.Series, months: Sequence[int], cutoff: pd.Timestamp | None
) -> np.ndarray:
    """How many of `months` (sorted) are due per participant: target date not after cut-off."""
    dates = pd.to_datetime(randomized_at).reset_index(drop=True)
    if cutoff is None:
        return np.full(len(dates), len(months), dtype=np.int64)
    count = np.zeros(len(dates), dtype=np.int64)
    for m in months:  # target dates grow with m, so the due months are a prefix
        count += (dates + pd.DateOffset(months=m) <= cutoff).to_numpy()
    return count


def state_matrix(
    rows: np.ndarray, cols: np.ndarray, states: np.ndarray, n_due: np.ndarray, active: np.ndarray
) -> np.ndarray:
    """participants x months: the state of each due month, NOT_DUE after the due ones.

    `rows`, `cols`, `states` describe the kept follow-up rows (one per participant and month).
    An active participant's due months stop at the last month present.
    """
    n, k = len(n_due), int(n_due.max(initial=0))
    last = np.zeros(n, dtype=np.int64)
    np.maximum.at(last, rows, cols + 1)
    due = np.where(active, np.minimum(n_due, last), n_due)
    matrix = np.full((n, max(k, 1)), MISSED, dtype=np.int8)
    matrix[rows, cols] = states
    matrix[np.arange(max(k, 1))[None, :] >= due[:, None]] = NOT_DUE
    return matrix


def outcomes(
    matrix: np.ndarray, months: Sequence[int], final: int, rule: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """time, event and basis (object array of str) per participant under `rule`."""
    n, k = matrix.shape
    month = np.asarray(list(months) + [0] * (k - len(months)), dtype=np.int64)
    missed = matrix == MISSED
    use = matrix == USE
    valid = matrix != NOT_DUE
    n_due = valid.sum(axis=1)
    # month of the last due visit (0 when none): where the walk ends when nothing happens
    last_month = np.where(n_due > 0, month[np.maximum(n_due - 1, 0)], 0)
    time = last_month.copy()
    event = np.zeros(n, dtype=np.int64)
    basis = np.where((last_month == final) & (final > 0), "completed", "cutoff").astype(object)
    if rule == "relapse":
        after = _next_non_missed(matrix)
        starts = missed & np.concatenate([np.ones((n, 1), bool), ~missed[:, :-1]], axis=1)
        hits = use | (starts & (after != VERIFIED))
    else:
        hits = use.copy()
        trailing = (n_due > 0) & missed[np.arange(n), np.maximum(n_due - 1, 0)]
        ok = valid & ~missed
        last_ok = np.where(ok.any(axis=1), month[k - 1 - np.argmax(ok[:, ::-1], axis=1)], 0)
        dropout = trailing & ~use.any(axis=1)
        time[dropout], basis[dropout] = last_ok[dropout], "dropout"
    found = hits.any(axis=1)
    first = np.argmax(hits, axis=1)
    time[found], event[found] = month[first[found]], 1
    first_is_use = use[np.arange(n), first]
    basis[found] = np.where(first_is_use[found], "use", "missing")
    return time, event, basis


def _next_non_missed(matrix: np.ndarray) -> np.ndarray:
    """For each cell, the state of the first non-missed due month at or after it (or NONE)."""
    after = np.full(matrix.shape, NONE, dtype=np.int8)
    nxt = np.full(matrix.shape[0], NONE, dtype=np.int8)
    for j in range(matrix.shape[1] - 1, -1, -1):
        column = matrix[:, j]
        nxt = np.where(column == NOT_DUE, NONE, np.where(column == MISSED, nxt, column))
        after[:, j] = nxt
    return after
