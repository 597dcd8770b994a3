"""Primary outcome derivation: every path of a participant through follow-up, by hand.

Each expected (time, event) below is worked out from the rules in the docstring of
psytrial.stats.derive; the property tests restate the two rules declaratively and compare.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from psytrial.core.errors import DataError
from psytrial.stats.derive import (
    ASSESSMENT_MONTHS,
    AbstinenceCount,
    ConfirmationRule,
    FollowupPlan,
    _status_at,
    _time_to_relapse_reference,
    abstinent_at,
    participant_outcome,
    time_to_relapse,
)
from psytrial.stats.tables import TABLE_NAMES, empty_frame, load_tables, validate
from tests.stats.trialdata import ARMS, SMALL_TRIAL, build, history, participant

FULL = "." * 24


def outcomes(codes: str, status: str, rules: tuple[str, ...], **plan_args):
    tables = build([participant("P1", status=status)], history("P1", codes))
    plan = FollowupPlan(**plan_args)
    rows = [
        time_to_relapse(tables.participants, tables.followup, rule=rule, plan=plan).iloc[0]
        for rule in rules
    ]
    return tuple((int(r["time"]), int(r["event"]), r["basis"]) for r in rows)


def outcome(codes: str, status: str = "completed", rule: str = "relapse", **plan_args):
    return outcomes(codes, status, (rule,), **plan_args)[0]


def both(codes: str, status: str = "completed", **plan_args):
    """(relapse rule, censor rule) outcomes of one participant with this history."""
    return outcomes(codes, status, ("relapse", "censor"), **plan_args)


def test_it_finds_relapse_at_month_1():
    assert both("u" + "." * 23) == ((1, 1, "use"), (1, 1, "use"))


def test_it_censors_a_participant_who_completed_24_months_abstinent():
    assert both(FULL) == ((24, 0, "completed"), (24, 0, "completed"))


def test_it_dates_missed_then_relapse_at_the_miss_or_the_return_by_rule():
    # Month 2 missed, month 3 confirmed use.
    relapse, censor = both(".mu" + "." * 21)
    assert relapse == (2, 1, "missing")
    assert censor == (3, 1, "use")


def test_it_bridges_a_missed_visit_followed_by_a_negative_urine_under_both_rules():
    assert both(".m" + "." * 22) == ((24, 0, "completed"), (24, 0, "completed"))


def test_it_bridges_a_run_of_missed_visits_followed_by_a_negative_urine():
    assert both("..mmm" + "." * 19) == ((24, 0, "completed"), (24, 0, "completed"))


def test_it_counts_an_unverified_return_as_relapse_only_under_the_relapse_rule():
    # Back at month 3 saying "no use" but without a urine test.
    relapse, censor = both(".ma" + "." * 21)
    assert relapse == (2, 1, "missing")
    assert censor == (24, 0, "completed")


def test_it_treats_a_participant_lost_for_good_by_rule():
    # Five abstinent visits, then nothing: rows absent, status lost.
    relapse, censor = both(".....", status="lost_to_follow_up")
    assert relapse == (6, 1, "missing")
    assert censor == (5, 0, "dropout")


def test_it_treats_explicit_missed_rows_at_the_end_like_absent_ones():
    assert both("....." + "m" * 19) == ((6, 1, "missing"), (5, 0, "dropout"))


def test_it_treats_a_withdrawn_participant_as_a_dropout():
    relapse, censor = both("..", status="withdrawn")
    assert relapse == (3, 1, "missing")
    assert censor == (2, 0, "dropout")


def test_it_treats_a_death_as_a_dropout():
    assert both("." * 12, status="died") == ((13, 1, "missing"), (12, 0, "dropout"))


def test_it_handles_a_participant_who_never_came_back():
    assert both("", status="lost_to_follow_up") == ((1, 1, "missing"), (0, 0, "dropout"))


def test_it_counts_use_reported_by_a_collateral_only():
    assert both("..." + "c" + "." * 20) == ((4, 1, "use"), (4, 1, "use"))


def test_it_ignores_the_collateral_when_the_protocol_rule_says_so():
    rule = ConfirmationRule(collateral=False)
    assert outcome("..." + "c" + "." * 20, confirmation=rule) == (24, 0, "completed")


def test_it_counts_a_positive_urine_despite_a_self_report_of_no_use():
    assert both("......p" + "." * 17) == ((7, 1, "use"), (7, 1, "use"))


def test_it_ignores_urine_when_the_protocol_rule_says_so():
    # Without urine as a source, the visit rests on self-report and collateral, both "no".
    rule = ConfirmationRule(urine=False)
    assert outcome("......p" + "." * 17, confirmation=rule) == (24, 0, "completed")


def test_it_counts_self_report_alone_when_other_sources_are_off():
    rule = ConfirmationRule(urine=False, collateral=False)
    assert outcome(".u" + "." * 22, confirmation=rule) == (2, 1, "use")
    assert outcome(".c" + "." * 22, confirmation=rule) == (24, 0, "completed")


def test_it_falls_back_on_the_exported_abstinent_column():
    visits = history("P1", "." * 24)
    for row in visits[3:5]:
        row.update(heroin_use="", urine="", collateral="")
    visits[3]["abstinent"] = "yes"
    visits[4]["abstinent"] = "no"
    tables = build([participant("P1")], visits)
    row = time_to_relapse(tables.participants, tables.followup).iloc[0]
    assert (row["time"], row["event"]) == (5, 1)


def test_it_treats_an_attended_visit_with_no_assessment_as_missed():
    # Month 3 has no assessment: like a missed visit, bridged by month 4's negative urine.
    assert both("..?" + "." * 21) == ((24, 0, "completed"), (24, 0, "completed"))
    relapse, censor = both("..?u" + "." * 20)
    assert relapse == (3, 1, "missing")
    assert censor == (4, 1, "use")


def test_it_censors_an_active_participant_at_the_last_visit_so_far():
    assert both(".....", status="active") == ((5, 0, "cutoff"), (5, 0, "cutoff"))


def test_it_censors_an_active_participant_with_no_visit_yet_at_zero():
    assert both("", status="active") == ((0, 0, "cutoff"), (0, 0, "cutoff"))


def test_it_counts_an_active_participants_gap_between_rows_as_missed():
    # Month 3 has no row but month 4 has: month 3 was due and missed.
    assert both(".._a", status="active") == ((3, 1, "missing"), (4, 0, "cutoff"))


def test_it_censors_administratively_at_the_data_cutoff():
    # Randomized 2001-01-10: month 6 is due 2001-07-10, month 7 on 2001-08-10.
    cutoff = dt.date(2001, 8, 1)
    assert both(FULL, cutoff=cutoff) == ((6, 0, "cutoff"), (6, 0, "cutoff"))
    assert both(FULL, cutoff=dt.date(2001, 7, 10)) == ((6, 0, "cutoff"), (6, 0, "cutoff"))


def test_it_ignores_a_visit_dated_after_the_cutoff():
    visits = history("P1", "......u")
    visits[6]["visit_date"] = dt.date(2001, 9, 1)  # month 7, done late
    tables = build([participant("P1", status="active")], visits)
    plan = FollowupPlan(cutoff=dt.date(2001, 8, 20))
    row = time_to_relapse(tables.participants, tables.followup, plan=plan).iloc[0]
    assert (row["time"], row["event"], row["basis"]) == (6, 0, "cutoff")


def test_it_stops_at_the_horizon():
    assert both(FULL + "uuu") == ((24, 0, "completed"), (24, 0, "completed"))
    assert both("." * 12, horizon=12) == ((12, 0, "completed"), (12, 0, "completed"))


def test_it_reads_only_the_scheduled_months():
    # Monthly rows, but only 1, 3, 6, 12, 18, 24 scheduled: the use at month 2 is not seen.
    schedule = ASSESSMENT_MONTHS
    assert both(".u" + "." * 22, schedule=schedule) == ((24, 0, "completed"),) * 2
    assert both("..m..u" + "." * 18, schedule=schedule) == ((3, 1, "missing"), (6, 1, "use"))


def test_it_leaves_out_participants_excluded_from_analysis():
    people = [participant("P1"), participant("P2", not_analysed_reason="randomized in error")]
    tables = build(people, history("P1", FULL) + history("P2", "u"))
    out = time_to_relapse(tables.participants, tables.followup)
    assert list(out["participant_id"]) == ["P1"]


def test_it_returns_one_row_per_participant_with_integer_columns():
    people = [participant("P1"), participant("P2", arm="low")]
    tables = build(people, history("P1", FULL) + history("P2", "..u"))
    out = time_to_relapse(tables.participants, tables.followup)
    assert list(out.columns) == ["participant_id", "arm", "time", "event", "basis"]
    assert out.to_dict("list") == {
        "participant_id": ["P1", "P2"],
        "arm": ["high", "low"],
        "time": [24, 3],
        "event": [0, 1],
        "basis": ["completed", "use"],
    }
    assert str(out["time"].dtype) == "int64" and str(out["event"].dtype) == "int64"


def test_it_refuses_an_unknown_rule():
    tables = build([participant("P1")], history("P1", FULL))
    with pytest.raises(DataError, match="rule: expected one of relapse|censor, got 'lenient'"):
        time_to_relapse(tables.participants, tables.followup, rule="lenient")  # type: ignore[arg-type]


def test_it_counts_abstinence_on_the_fixture_by_hand():
    """tests/stats/data/small_trial, scheduled at 1, 3, 6, 12, 18, 24 months.

    Relapse rule (time, event): high P01 (24,0) P02 (3,1) P03 (12,1) P04 (3,1) P05 (1,1);
    low P06 (6,1) P07 (24,0; month 3 missed, bridged) P08 (18,1) P09 (12,1); P10 excluded.
    Censor rule: P03 (6,0) P04 (1,0) P08 (12,0), the others as above.
    """
    t = load_tables(SMALL_TRIAL, ARMS)
    table = abstinent_at(t.participants, t.followup, plan=FollowupPlan(schedule=ASSESSMENT_MONTHS))
    relapse = {1: (4, 5, 4, 4), 3: (2, 5, 4, 4), 6: (2, 5, 3, 4), 12: (1, 5, 2, 4),
               18: (1, 5, 1, 4), 24: (1, 5, 1, 4)}  # fmt: skip
    censor = {1: (4, 5, 4, 4), 3: (2, 4, 4, 4), 6: (2, 4, 3, 4), 12: (1, 3, 2, 4),
              18: (1, 3, 1, 3), 24: (1, 3, 1, 3)}  # fmt: skip
    for rule, expected in (("relapse", relapse), ("censor", censor)):
        for month, (n_high, big_high, n_low, big_low) in expected.items():
            high, low = table.count(rule, month, "high"), table.count(rule, month, "low")
            assert (high.n, high.N, low.n, low.N) == (n_high, big_high, n_low, big_low), (
                rule,
                month,
            )
    assert table.count("censor", 12, "high").unknown == 2
    assert table.count("relapse", 12, "high").unknown == 0


def test_it_reports_each_participants_abstinence_status():
    people = [participant("P1"), participant("P2"), participant("P3", status="lost_to_follow_up")]
    visits = history("P1", FULL) + history("P2", "..u") + history("P3", "....")
    t = build(people, visits)
    table = abstinent_at(t.participants, t.followup, months=[3, 4, 6], rules=["censor"])
    per = table.per_participant.set_index(["participant_id", "month"])["abstinent"]
    assert per[("P1", 6)] == "yes"
    assert (per[("P2", 3)], per[("P2", 4)]) == ("no", "no")
    assert (per[("P3", 4)], per[("P3", 6)]) == ("yes", "unknown")
    assert table.rules == ("censor",)


def test_it_counts_zero_for_an_arm_without_participants_and_ties():
    people = [participant("P1"), participant("P2")]
    t = build(people, history("P1", "..u") + history("P2", "..u"))
    table = abstinent_at(t.participants, t.followup, months=[2, 3], arms=ARMS)
    assert table.count("relapse", 2, "high") == AbstinenceCount(n=2, N=2, unknown=0)
    assert (table.count("relapse", 3, "high").n, table.count("relapse", 3, "high").N) == (0, 2)
    assert (table.count("relapse", 3, "low").n, table.count("relapse", 3, "low").N) == (0, 0)


def test_it_gives_results_json_counts_as_plain_values():
    t = build([participant("P1"), participant("P2", arm="low")], history("P1", FULL))
    table = abstinent_at(t.participants, t.followup, months=[1, 24])
    out = table.as_dict("relapse")
    assert out == {"1": {"high": {"n": 1, "N": 1}, "low": {"n": 0, "N": 1}},
                   "24": {"high": {"n": 1, "N": 1}, "low": {"n": 0, "N": 1}}}  # fmt: skip
    json.dumps(out)


# ---- property tests against a declarative restatement of the rules -------------------------

STATES = st.text(alphabet=".aum_pc", min_size=0, max_size=24)


def reference(codes: str, status: str, rule: str) -> tuple[int, int]:
    """The rules restated: censor = first use, else last abstinent visit; relapse = first use
    or first missed month whose run is not ended by a negative urine."""
    due = len(codes) if status == "active" else 24
    states = [(codes[i] if i < len(codes) else "_") for i in range(due)]
    states = ["m" if s == "_" else s for s in states]
    last_ok = 0
    for i, s in enumerate(states):
        if s in "upc":
            return i + 1, 1
        if s == "m" and rule == "relapse":
            back = next((states[j] for j in range(i, due) if states[j] != "m"), None)
            if back != ".":
                return i + 1, 1
        if s != "m":
            last_ok = i + 1
    return last_ok, 0


def direct(codes: str, status: str, rule: str) -> tuple[int, int]:
    """participant_outcome on raw rows: no table validation, so many examples stay cheap."""
    visits = {row["month"]: row for row in history("P1", codes)}
    out = participant_outcome(status, pd.Timestamp("2001-01-10"), visits, rule, FollowupPlan())
    return out.time, out.event


@settings(max_examples=300, deadline=None)
@given(codes=STATES, status=st.sampled_from(["completed", "lost_to_follow_up", "active"]))
def test_it_agrees_with_the_declarative_rules(codes, status):
    codes = codes.rstrip("_") if status == "active" else codes
    for rule in ("relapse", "censor"):
        assert direct(codes, status, rule) == reference(codes, status, rule), (codes, rule)


@settings(max_examples=300, deadline=None)
@given(codes=STATES, status=st.sampled_from(["completed", "lost_to_follow_up", "active"]))
def test_it_is_never_less_conservative_under_the_relapse_rule(codes, status):
    codes = codes.rstrip("_") if status == "active" else codes
    relapse, censor = direct(codes, status, "relapse"), direct(codes, status, "censor")
    for month in range(1, 25):
        at_relapse = _status_at(relapse[0], relapse[1], month)
        at_censor = _status_at(censor[0], censor[1], month)
        assert at_relapse != "yes" or at_censor == "yes"
        assert at_censor != "no" or at_relapse == "no"


def test_it_gives_the_same_outcome_through_tables_and_directly():
    for codes in (".mu.", ".ma" + "." * 21, "..p", "", "....m"):
        for rule in ("relapse", "censor"):
            assert outcome(codes, "lost_to_follow_up", rule)[:2] == direct(
                codes, "lost_to_follow_up", rule
            )


def test_it_matches_the_reference_on_frames_with_missing_optional_columns():
    t = build([participant("P1")], history("P1", ".m."))
    bare = t.participants.drop(columns=["not_analysed_reason"])
    out = time_to_relapse(bare, t.followup, rule="censor")
    assert isinstance(out, pd.DataFrame)
    assert (out["time"].iloc[0], out["event"].iloc[0]) == (3, 0)


# ---- the vectorized derivation against the row-by-row walk ----------------------------------


def random_trial(n: int, seed: int):
    """A validated trial with every kind of path: gaps, missed rows, silent visits, actives,
    exclusions, months off the schedule and beyond the horizon, randomizations over 2 years."""
    rng = np.random.default_rng(seed)
    pids = [f"R{i:05d}" for i in range(n)]
    start = np.datetime64("2000-01-01") + rng.integers(0, 730, n).astype("timedelta64[D]")
    statuses = ["completed", "lost_to_follow_up", "withdrawn", "died", "active"]
    people = pd.DataFrame(
        {
            "participant_id": pids,
            "site": "s1",
            "stratum": "",
            "arm": rng.choice(list(ARMS), n),
            "randomized_at": start,
            "sex": "",
            "age": pd.array([None] * n, dtype="Int64"),
            "weight_kg": np.nan,
            "years_heroin_use": np.nan,
            "status": rng.choice(statuses, n),
            "not_analysed_reason": np.where(rng.random(n) < 0.05, "withdrew consent", ""),
        }
    )
    rows = []
    for pid, day in zip(pids, start, strict=True):
        # A third stay clean and seldom miss a visit, so that some complete the follow-up.
        clean = rng.random() < 0.35
        last = 24 if clean and rng.random() < 0.6 else int(rng.integers(0, 27))
        gap, use = (0.03, 0.0) if clean else (0.25, 0.25)
        for month in range(1, last + 1):
            kind = rng.random()
            if kind < gap * 0.4:
                continue  # no row at all
            date = day + np.timedelta64(30 * month + int(rng.integers(-5, 6)), "D")
            if kind < gap:
                rows.append((pid, month, pd.NaT, "missed", "", "", "", ""))
                continue
            used = rng.random() < use
            rows.append(
                (
                    pid,
                    month,
                    date,
                    "attended",
                    rng.choice(["yes" if used else "no", "no", ""]),
                    rng.choice(["positive" if used else "negative", "negative", "not_done", ""]),
                    rng.choice(["yes" if used else "no", "unknown", ""]),
                    rng.choice(["yes", "no" if used else "yes", ""]),
                )
            )
    columns = ["participant_id", "month", "visit_date", "status", "heroin_use", "urine",
               "collateral", "abstinent"]  # fmt: skip
    frames = {name: empty_frame(name) for name in TABLE_NAMES}
    frames["participants"] = people
    frames["followup"] = pd.DataFrame(rows, columns=columns)
    return validate(frames, ARMS)


RANDOM_PLANS = [
    FollowupPlan(),
    FollowupPlan(cutoff=dt.date(2001, 6, 15)),
    FollowupPlan(schedule=ASSESSMENT_MONTHS, horizon=12),
    FollowupPlan(confirmation=ConfirmationRule(urine=False, collateral=False)),
]


@pytest.fixture(scope="module")
def random_2000():
    return random_trial(2000, seed=20021)


@pytest.mark.parametrize("plan", RANDOM_PLANS, ids=["protocol", "cutoff", "assessments", "self"])
@pytest.mark.parametrize("rule", ["relapse", "censor"])
def test_it_derives_the_same_outcomes_as_the_row_by_row_walk(random_2000, rule, plan):
    t = random_2000
    fast = time_to_relapse(t.participants, t.followup, rule=rule, plan=plan)
    slow = _time_to_relapse_reference(t.participants, t.followup, rule=rule, plan=plan)
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)
    assert len(fast) < len(t.participants)  # the exclusions are left out


def test_it_meets_every_basis_on_the_random_trial(random_2000):
    t = random_2000
    seen = set()
    for rule in ("relapse", "censor"):
        for plan in RANDOM_PLANS[:2]:
            out = time_to_relapse(t.participants, t.followup, rule=rule, plan=plan)
            seen |= set(out["basis"])
    assert seen == {"use", "missing", "completed", "cutoff", "dropout"}


def test_it_takes_the_walk_for_repeated_participant_ids():
    t = build([participant("P1")], history("P1", ".mu"))
    twice = pd.concat([t.participants, t.participants], ignore_index=True)
    for rule in ("relapse", "censor"):
        out = time_to_relapse(twice, t.followup, rule=rule)
        pd.testing.assert_frame_equal(out, _time_to_relapse_reference(twice, t.followup, rule=rule))
        assert len(out) == 2


def test_it_counts_abstinence_per_participant_in_the_order_of_the_walk(random_2000):
    t = random_2000
    table = abstinent_at(t.participants, t.followup)
    expected = []
    for rule in ("relapse", "censor"):
        ttr = _time_to_relapse_reference(t.participants, t.followup, rule=rule)
        for r in ttr.itertuples(index=False):
            for m in ASSESSMENT_MONTHS:
                expected.append((r.participant_id, r.arm, rule, m, _status_at(r.time, r.event, m)))
    columns = ["participant_id", "arm", "rule", "month", "abstinent"]
    pd.testing.assert_frame_equal(table.per_participant, pd.DataFrame(expected, columns=columns))
