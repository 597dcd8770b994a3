"""Checking the input table, and the edge cases every analysis must survive or refuse."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from psytrial.core.errors import DataError
from psytrial.stats.binary import abstinence_by_month
from psytrial.stats.survival import SurvivalData, cox, kaplan_meier, logrank
from tests.stats.reference.loader import dataset


def test_it_refuses_a_declared_arm_without_participants() -> None:
    with pytest.raises(DataError, match="arm 'low': expected at least one participant, got 0"):
        SurvivalData.from_arrays([3, 5], [1, 0], ["high", "high"], arms=("high", "low"))


def test_it_refuses_an_empty_arm_through_every_analysis() -> None:
    frame = pd.DataFrame({"time": [3.0, 5.0], "event": [1, 0], "arm": ["high", "high"]})
    for analysis in (kaplan_meier, logrank, abstinence_by_month):
        with pytest.raises(DataError, match="arm 'low'"):
            analysis(frame, arms=("high", "low"))
    with pytest.raises(DataError, match="arm 'low'"):
        cox(frame, reference="low", arms=("high", "low"))


def test_it_refuses_an_undeclared_arm() -> None:
    with pytest.raises(DataError, match="expected one of \\('high', 'low'\\), got 'mid'"):
        SurvivalData.from_arrays([3, 5, 7], [1, 0, 1], ["high", "low", "mid"], arms=("high", "low"))


@pytest.mark.parametrize(
    ("time", "event", "arm", "message"),
    [
        ([1.0, np.nan], [1, 0], ["a", "b"], r"time\[1\]: expected a finite number"),
        ([1.0, -2.0], [1, 0], ["a", "b"], r"time\[1\]"),
        (["x", 2.0], [1, 0], ["a", "b"], "time: expected numbers"),
        ([], [], [], "non-empty"),
        ([1.0, 2.0], [1, 2], ["a", "b"], r"event\[1\]: expected 0 \(censored\) or 1"),
        ([1.0, 2.0], [1], ["a", "b"], "event: expected 2 values"),
        ([1.0, 2.0], [1, 0], ["a", None], r"arm\[1\]: expected a non-empty arm id"),
        ([1.0, 2.0], [1, 0], ["a"], "arm: expected 2 arm ids"),
    ],
)
def test_it_refuses_malformed_columns(
    time: list[object], event: list[object], arm: list[object], message: str
) -> None:
    with pytest.raises(DataError, match=message):
        SurvivalData.from_arrays(time, event, arm)  # type: ignore[arg-type]


def test_it_names_the_missing_columns_of_a_frame() -> None:
    with pytest.raises(DataError, match="expected columns 'time', 'event', 'arm'"):
        SurvivalData.from_frame(pd.DataFrame({"months": [1], "event": [1], "arm": ["a"]}))


def test_it_reads_other_column_names_and_boolean_events() -> None:
    frame = pd.DataFrame({"m": [1.0, 4.0], "relapsed": [True, False], "group": ["hi", "lo"]})
    data = SurvivalData.from_frame(frame, time="m", event="relapsed", arm="group")
    assert data.event.tolist() == [1, 0]
    assert data.arms == ("hi", "lo")


def test_its_arrays_are_read_only() -> None:
    data = SurvivalData.from_arrays([1.0, 2.0], [1, 0], ["a", "b"])
    with pytest.raises(ValueError, match="read-only"):
        data.time[0] = 5.0


def test_it_handles_an_arm_without_relapses() -> None:
    data = dataset("one_arm_events")
    curve = kaplan_meier(data).curve("high")
    assert set(curve.survival) == {1.0} and curve.median is None
    assert logrank(data).observed == (0, 10)  # arms sorted: high, low


def test_it_handles_all_relapses_in_one_month() -> None:
    data = dataset("single_time")
    km = kaplan_meier(data)
    assert km.curve("high").time == (12.0,)
    assert km.curve("high").survival == pytest.approx((0.6,), rel=1e-12)
    assert logrank(data).df == 1
    assert cox(data, reference="low").hr < 1  # 4 of 10 relapse in "high", 7 of 10 in "low"


def test_it_handles_a_single_participant_per_arm() -> None:
    data = dataset("one_each")
    km = kaplan_meier(data)
    assert km.curve("high").survival == (0.0,) and km.curve("high").median == 5.0
    assert np.isnan(km.curve("high").lower[0])
    result = logrank(data)
    assert result.observed == (1, 0) and result.chi2 == pytest.approx(1.0)
