"""The analysis pipeline end to end: every number equals an independent computation.

The pipeline only calls the other modules, so these tests check the wiring: the right rule
reaches the right analysis, the arms are in the right order, the right rows feed each
secondary analysis. References: lifelines (a second survival library) for the log-rank
test, the Cox hazard ratio and the Kaplan-Meier estimate; `derive.abstinent_at` (the
derivation's own counting) for the abstinence counts; counts done here with pandas for the
numbers at risk and the blinding indices; the secondary functions called on rows selected
here by hand.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.statistics import logrank_test

from psytrial.core.errors import DataError
from psytrial.core.protocol import load_protocol
from psytrial.stats.derive import FollowupPlan, abstinent_at, time_to_relapse
from psytrial.stats.pipeline import AnalysisResult, analyse
from psytrial.stats.secondary import analyse_craving, analyse_hrs
from psytrial.stats.tables import TrialTables, load_tables
from tests.stats.synthetic_trial import ARMS, Rates, make_frames, make_trial
from tests.stats.trialdata import SMALL_TRIAL

PROTOCOL = load_protocol("protocols/kpt2002.yaml")
MONTHS = (1, 3, 6, 12, 18, 24)


@pytest.fixture(scope="module")
def tables() -> TrialTables:
    return make_trial(70, seed=7)


@pytest.fixture(scope="module")
def result(tables: TrialTables) -> AnalysisResult:
    return analyse(tables, PROTOCOL, mode="unblinded")


def test_it_reports_the_protocol_arms_in_protocol_order(result: AnalysisResult) -> None:
    assert result.arm_ids == ("high", "low")
    assert result.label("high") == "Ketamine 2.0 mg/kg IM"
    assert sum(a.n for a in result.arms) == result.n_randomized == 70
    assert result.primary.rule == "relapse"
    assert result.sensitivity is not None and result.sensitivity.rule == "censor"


@pytest.mark.parametrize("rule", ["relapse", "censor"])
def test_it_matches_lifelines_on_the_derived_times(
    tables: TrialTables, result: AnalysisResult, rule: str
) -> None:
    derived = time_to_relapse(tables.participants, tables.followup, rule=rule)  # type: ignore[arg-type]
    analysis = result.primary if rule == "relapse" else result.sensitivity
    assert analysis is not None
    high, low = derived[derived["arm"] == "high"], derived[derived["arm"] == "low"]
    lr = logrank_test(high["time"], low["time"], high["event"], low["event"])
    assert analysis.logrank is not None
    assert analysis.logrank.chi2 == pytest.approx(lr.test_statistic, rel=1e-9)
    frame = derived.assign(x=(derived["arm"] == "high").astype(float))[["time", "event", "x"]]
    fit = CoxPHFitter().fit(frame, "time", "event")
    assert analysis.cox is not None
    assert analysis.cox.hr == pytest.approx(float(np.exp(fit.params_["x"])), rel=1e-5)
    km = KaplanMeierFitter().fit(high["time"], high["event"])
    at = analysis.km_at[0]
    expected = km.survival_function_at_times(list(at.month)).to_numpy()
    assert np.allclose(at.survival, expected, rtol=1e-12)


def test_it_counts_numbers_at_risk_at_every_month(
    tables: TrialTables, result: AnalysisResult
) -> None:
    derived = time_to_relapse(tables.participants, tables.followup, rule="relapse")
    for at in result.primary.km_at:
        times = derived.loc[derived["arm"] == at.arm, "time"]
        assert at.month == tuple(float(m) for m in range(25))
        assert at.n_risk == tuple(int((times >= m).sum()) for m in range(25))


@pytest.mark.parametrize("rule", ["relapse", "censor"])
def test_it_counts_abstinence_as_the_derivation_does(
    tables: TrialTables, result: AnalysisResult, rule: str
) -> None:
    reference = abstinent_at(tables.participants, tables.followup, MONTHS, arms=ARMS)
    analysis = result.primary if rule == "relapse" else result.sensitivity
    assert analysis is not None
    for row in analysis.abstinence.rows:
        for arm, n, total in zip(row.arms, row.abstinent, row.total, strict=True):
            count = reference.count(rule, int(row.month), arm)  # type: ignore[arg-type]
            assert (n, total) == (count.n, count.N)


def test_it_feeds_the_hrs_clusters_of_analysed_participants(
    tables: TrialTables, result: AnalysisResult
) -> None:
    scores = tables.scores[tables.scores["instrument"] == "hrs"]
    rows = scores.merge(tables.participants[["participant_id", "arm"]])
    frame = rows.rename(columns={"item_or_scale": "cluster", "value": "score"})
    expected = analyse_hrs(frame[["participant_id", "arm", "cluster", "score"]], ARMS)
    assert result.hrs is not None and result.hrs.result == expected
    assert expected.clusters[0].cluster == "somaesthesia"


def test_it_feeds_craving_by_month_with_baseline_at_zero(
    tables: TrialTables, result: AnalysisResult
) -> None:
    scores = tables.scores[tables.scores["instrument"] == "craving"]
    rows = scores.merge(tables.participants[["participant_id", "arm"]])
    rows = rows.assign(month=rows["month"].astype(int))
    expected = analyse_craving(rows[["participant_id", "arm", "month", "value"]], ARMS)
    (section,) = result.craving
    assert section.result is not None
    assert section.result.observed == expected.observed
    assert section.result.categorical.differences == expected.categorical.differences
    assert [v.month for v in expected.observed] == [0, 1, 3, 6, 12, 18, 24]


def test_it_computes_bang_and_james_from_the_last_guess_of_each_role(
    tables: TrialTables, result: AnalysisResult
) -> None:
    guesses = tables.blinding_guesses.merge(tables.participants[["participant_id", "arm"]])
    assert result.blinding is not None
    roles = {r.role: r for r in result.blinding.roles}
    assert set(roles) == {"participant", "therapist", "rater"}
    for role, r in roles.items():
        mine = guesses[guesses["guesser_role"] == role]
        for arm in ARMS:
            of_arm = mine[mine["arm"] == arm]
            right = int((of_arm["guessed_arm"] == arm).sum())
            wrong = int(
                ((of_arm["guessed_arm"] != arm) & (of_arm["guessed_arm"] != "dont_know")).sum()
            )
            bang = r.assessment.bang[arm].estimate
            assert bang == pytest.approx((right - wrong) / len(of_arm), abs=1e-15)


def test_it_keeps_the_last_guess_when_a_role_guessed_twice(tables: TrialTables) -> None:
    first = tables.blinding_guesses[tables.blinding_guesses["guesser_role"] == "rater"]
    early = first.assign(visit="integration1", guessed_arm="dont_know")
    both = pd.concat([tables.blinding_guesses, early], ignore_index=True)
    changed = dataclasses.replace(tables, blinding_guesses=both)
    out = analyse(changed, PROTOCOL, fit_mixed_models=False)
    assert out.blinding is not None
    rater = next(r for r in out.blinding.roles if r.role == "rater")
    assert [v for v, _ in rater.by_visit] == ["integration1", "m12"]
    assert rater.assessment.table == rater.by_visit[1][1].table
    assert rater.by_visit[0][1].table.treatment.dont_know == rater.by_visit[0][1].table.treatment.n


def test_it_counts_adverse_events_over_every_randomized_participant(
    result: AnalysisResult, tables: TrialTables
) -> None:
    assert result.safety is not None and result.safety.result is not None
    events = tables.adverse_events.merge(tables.participants[["participant_id", "arm"]])
    for line in result.safety.result.any_event.arms:
        mine = events[events["arm"] == line.arm]
        assert line.participants == mine["participant_id"].nunique()
        assert line.n == int((tables.participants["arm"] == line.arm).sum())
    serious = events[events["serious"] == "yes"]
    assert len(result.safety.result.serious_listing) == len(serious)


def test_it_applies_a_data_cutoff_to_the_primary_outcome(tables: TrialTables) -> None:
    import datetime as dt

    cutoff = dt.date(2001, 6, 30)
    out = analyse(tables, PROTOCOL, cutoff=cutoff, fit_mixed_models=False)
    plan = FollowupPlan(cutoff=cutoff)
    derived = time_to_relapse(tables.participants, tables.followup, rule="relapse", plan=plan)
    assert out.primary.data.time.tolist() == derived["time"].astype(float).tolist()
    assert out.data_through is not None and out.data_through <= cutoff
    assert "cutoff" in dict(out.primary.basis)


def test_it_runs_on_the_committed_small_trial_fixture() -> None:
    small = load_tables(SMALL_TRIAL, ARMS)
    out = analyse(small, PROTOCOL)
    assert out.n_randomized == len(small.participants)
    assert out.consort.randomized == out.n_randomized
    # The fixture's craving instrument id is not the protocol's: nothing to analyse, said so.
    assert out.craving[0].result is None and "no scores" in out.craving[0].notes


def test_it_notes_a_cox_model_that_cannot_be_estimated() -> None:
    frames = make_frames(
        40, seed=3, rates=Rates(relapse=(0.0, 0.2), lost=0, withdrawn=0, died=0, missed=0)
    )
    out = analyse(frames, PROTOCOL, fit_mixed_models=False)
    assert out.primary.cox is None and out.primary.zph is None
    assert any("monotone likelihood" in n for n in out.primary.notes)
    assert out.primary.logrank is not None


def test_it_validates_raw_frames_and_reports_a_bad_cell() -> None:
    frames = make_frames(20, seed=1)
    frames["participants"]["age"] = frames["participants"]["age"].astype(object)
    frames["participants"].loc[3, "age"] = "abc"
    with pytest.raises(DataError, match="column age: expected an integer"):
        analyse(frames, PROTOCOL)


def test_it_refuses_tables_checked_against_other_arms() -> None:
    frames = make_frames(20, seed=1)
    frames["participants"]["arm"] = frames["participants"]["arm"].map({"high": "a", "low": "b"})
    frames["blinding_guesses"] = frames["blinding_guesses"].iloc[0:0]
    from psytrial.stats.tables import validate

    with pytest.raises(DataError, match="expected the protocol's arms high, low, got a, b"):
        analyse(validate(frames, ("a", "b")), PROTOCOL)


def test_it_refuses_a_table_missing_a_column(tables: TrialTables) -> None:
    broken = dataclasses.replace(tables, followup=tables.followup.drop(columns="urine"))
    with pytest.raises(DataError, match="followup table: missing column 'urine'"):
        analyse(broken, PROTOCOL)


def test_it_refuses_an_unknown_mode(tables: TrialTables) -> None:
    with pytest.raises(DataError, match="mode: expected one of unblinded|blinded"):
        analyse(tables, PROTOCOL, mode="open")  # type: ignore[arg-type]
