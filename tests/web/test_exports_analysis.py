"""The analysis export: the six tidy tables built from a trial run through the action
functions, checked row by row against what was entered (written out by hand here), read back
by stats.tables.load_tables, blinded unless the user may see the arm, and audited."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from psytrial.core.errors import BlindingError
from psytrial.core.roles import Role
from psytrial.stats.tables import load_tables
from psytrial.web.audit.models import AuditEntry
from psytrial.web.exports.actions import export_analysis, operator_export
from psytrial.web.permissions import ActionDenied
from psytrial.web.quality.lock import lock_study
from tests.web.personas import Personas
from tests.web.test_pharmacy_support import (
    SimClock,
    arm,
    clock_fixture,  # noqa: F401 (the clock_at fixture)
    fast_passwords,  # noqa: F401 (autouse)
)
from tests.web.test_quality_support import POSITIVITY, SmallTrial, small_trial

pytestmark = pytest.mark.django_db

ARMS = ("high", "low")
LABELS = ("Group A", "Group B")
ALLOWED_BLINDED = {Role.TRIAL_STATISTICIAN, Role.DATA_MANAGER, Role.DSMB_MEMBER}


@pytest.fixture
def trial(people: Personas, clock_at: SimClock) -> SmallTrial:
    return small_trial(people, clock_at)


def _export(people: Personas, role: Role, folder: Path, unblinded: bool = False):  # type: ignore[no-untyped-def]
    return export_analysis(people[role], people.study, folder, unblinded=unblinded)


def test_the_unblinded_export_holds_what_was_entered(
    people: Personas, trial: SmallTrial, tmp_path: Path
) -> None:
    result = _export(people, Role.DSMB_MEMBER, tmp_path, unblinded=True)
    t = load_tables(tmp_path, ARMS)
    hi, lo, day0 = trial.high.code, trial.low.code, trial.session_day
    parts = t.participants.set_index("participant_id")
    assert list(parts.index) == sorted([hi, lo])
    assert parts.loc[hi, "arm"] == "high" and parts.loc[lo, "arm"] == "low"
    assert parts.loc[hi, "arm"] == arm(people, trial.high)
    assert (parts.loc[hi, "status"], parts.loc[lo, "status"]) == ("active", "withdrawn")
    assert parts.loc[lo, "ended_at"] == pd.Timestamp(trial.withdrawn_on)
    assert parts.loc[lo, "end_reason"] == "moved away"
    assert list(parts["received_allocated"]) == ["yes", "yes"]
    assert (parts.loc[hi, "sex"], parts.loc[hi, "age"], parts.loc[hi, "weight_kg"]) == (
        "male",
        35,
        70.0,
    )
    assert parts.loc[hi, "stratum"] == "sex=male"

    follow = t.followup.set_index(["participant_id", "month"])
    expected = {
        (hi, 1): ("attended", day0 + timedelta(days=30), "no", "negative", "unknown", "yes"),
        (hi, 2): ("missed", None, "", "", "", ""),
        (hi, 3): ("attended", day0 + timedelta(days=90), "no", "not_done", "no", "yes"),
        (lo, 1): ("attended", day0 + timedelta(days=30), "no", "negative", "unknown", "yes"),
        (lo, 2): ("attended", day0 + timedelta(days=60), "yes", "positive", "yes", "no"),
    }
    assert sorted(follow.index) == sorted(expected)
    for key, (status, day, use, urine, collateral, abstinent) in expected.items():
        row = follow.loc[key]
        got_day = None if pd.isna(row["visit_date"]) else row["visit_date"].date()
        assert (
            row["status"],
            got_day,
            row["heroin_use"],
            row["urine"],
            row["collateral"],
            row["abstinent"],
        ) == (status, day, use, urine, collateral, abstinent), key
    assert result.rows == {name: len(frame) for name, frame in t.frames().items()}


def test_the_scores_are_the_protocol_scores_of_the_entries(
    people: Personas, trial: SmallTrial, tmp_path: Path
) -> None:
    _export(people, Role.DSMB_MEMBER, tmp_path, unblinded=True)
    scores = load_tables(tmp_path, ARMS).scores
    mine = scores[scores["participant_id"] == trial.high.code]
    hrs = mine[mine["instrument"] == "hrs"]
    assert set(hrs["item_or_scale"]) == {
        "somaesthesia",
        "affect",
        "perception",
        "cognition",
        "volition",
        "intensity",
    }
    assert list(hrs["value"]) == [2.0] * 6 and hrs["month"].isna().all()
    craving = mine[mine["instrument"] == "craving"].set_index("visit")
    assert craving.loc["baseline", "value"] == 60.0 and craving.loc["baseline", "month"] == 0
    assert craving.loc["m01", "value"] == 40.0 and craving.loc["m01", "month"] == 1
    colour = mine[mine["instrument"] == "colour_test"].set_index("item_or_scale")
    for concept, positivity in POSITIVITY.items():
        assert colour.loc[concept, "value"] == pytest.approx(positivity, abs=1e-12)


def test_adverse_events_guesses_and_screening_log(
    people: Personas, trial: SmallTrial, tmp_path: Path
) -> None:
    _export(people, Role.DSMB_MEMBER, tmp_path, unblinded=True)
    t = load_tables(tmp_path, ARMS)
    ae = t.adverse_events.iloc[0]
    assert len(t.adverse_events) == 1
    assert (
        ae["participant_id"],
        ae["term"],
        ae["serious"],
        ae["severity"],
        ae["related"],
        ae["outcome"],
    ) == (trial.high.code, "Nausea", "no", "mild", "possible", "recovered")
    guesses = t.blinding_guesses.set_index(["participant_id", "guesser_role"])
    assert len(guesses) == 6
    assert guesses.loc[(trial.low.code, "participant"), "guessed_arm"] == "high"
    assert guesses.loc[(trial.low.code, "therapist"), "guessed_arm"] == "dont_know"
    assert guesses.loc[(trial.low.code, "rater"), "confidence"] == 50.0
    log = t.screening.set_index("screening_id")
    assert log.loc[trial.failed.code, "eligible"] == "no"
    assert log.loc[trial.failed.code, "exclusion_reason"] == "psychosis"
    assert log.loc[trial.failed.code, "participant_id"] == ""
    assert log.loc[trial.high.code, "consented"] == "yes"
    assert log.loc[trial.high.code, "participant_id"] == trial.high.code


def test_the_export_round_trips_through_load_tables(
    people: Personas, trial: SmallTrial, tmp_path: Path
) -> None:
    result = _export(people, Role.DSMB_MEMBER, tmp_path, unblinded=True)
    loaded = load_tables(tmp_path, ARMS)
    for name, frame in result.tables.frames().items():
        pd.testing.assert_frame_equal(frame, loaded.frames()[name], check_dtype=True)


def test_a_blinded_export_holds_scrambled_labels_and_no_arm(
    people: Personas, trial: SmallTrial, tmp_path: Path
) -> None:
    result = _export(people, Role.TRIAL_STATISTICIAN, tmp_path)
    assert result.mode == "blinded" and result.arms == LABELS
    t = load_tables(tmp_path, LABELS)
    labels = dict(zip(t.participants["participant_id"], t.participants["arm"], strict=True))
    assert set(labels.values()) == set(LABELS)  # one label per arm, the arms apart
    guesses = t.blinding_guesses
    assert set(guesses["guessed_arm"]) <= {*LABELS, "dont_know"}
    for path in tmp_path.glob("*.csv"):
        cells = {c for line in path.read_text().splitlines() for c in line.split(",")}
        assert not cells & set(ARMS), f"{path.name} holds an arm id"


def test_the_blinded_labels_are_the_same_in_every_export(
    people: Personas, trial: SmallTrial, tmp_path: Path
) -> None:
    first = _export(people, Role.TRIAL_STATISTICIAN, tmp_path / "a").tables.participants
    again = _export(people, Role.DATA_MANAGER, tmp_path / "b").tables.participants
    assert list(first["arm"]) == list(again["arm"])


@pytest.mark.parametrize("role", list(Role))
def test_only_study_wide_analysts_export_the_tables(
    people: Personas, trial: SmallTrial, tmp_path: Path, role: Role
) -> None:
    if role in ALLOWED_BLINDED:
        assert _export(people, role, tmp_path).mode == "blinded"
    else:
        with pytest.raises(ActionDenied):
            _export(people, role, tmp_path)
    with pytest.raises(ActionDenied):
        export_analysis(people.outsider, people.study, tmp_path)


@pytest.mark.parametrize("role", list(Role))
def test_before_the_lock_only_the_dsmb_exports_unblinded(
    people: Personas, trial: SmallTrial, tmp_path: Path, role: Role
) -> None:
    if role == Role.DSMB_MEMBER:
        assert _export(people, role, tmp_path, unblinded=True).mode == "unblinded"
    else:
        with pytest.raises((ActionDenied, BlindingError)):
            _export(people, role, tmp_path, unblinded=True)
    assert not list(tmp_path.glob("*.csv")) or role == Role.DSMB_MEMBER


def test_after_the_lock_the_trial_statistician_exports_unblinded(
    people: Personas, trial: SmallTrial, tmp_path: Path
) -> None:
    with pytest.raises(BlindingError, match="not locked"):
        _export(people, Role.TRIAL_STATISTICIAN, tmp_path, unblinded=True)
    lock_study(people[Role.DATA_MANAGER], people.study, "last visit of the last participant")
    people.study.refresh_from_db()
    result = _export(people, Role.TRIAL_STATISTICIAN, tmp_path, unblinded=True)
    assert result.mode == "unblinded"
    assert set(load_tables(tmp_path, ARMS).participants["arm"]) == set(ARMS)


def test_every_export_is_audited_with_the_checksums_of_its_files(
    people: Personas, trial: SmallTrial, tmp_path: Path
) -> None:
    _export(people, Role.TRIAL_STATISTICIAN, tmp_path)
    entry = AuditEntry.objects.filter(action="export.analysis").get()
    assert (entry.actor, entry.role, entry.new["mode"]) == (
        people[Role.TRIAL_STATISTICIAN].get_username(),
        "trial_statistician",
        "blinded",
    )
    for name, digest in entry.new["sha256"].items():
        assert hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() == digest
    assert entry.new["rows"]["participants"] == 2


def test_the_operator_exports_unblinded_only_after_the_lock(
    people: Personas, trial: SmallTrial, tmp_path: Path
) -> None:
    with pytest.raises(BlindingError, match="locked database"):
        operator_export(people.study, tmp_path, unblinded=True)
    assert operator_export(people.study, tmp_path).mode == "blinded"
    lock_study(people[Role.DATA_MANAGER], people.study, "final")
    people.study.refresh_from_db()
    assert operator_export(people.study, tmp_path, unblinded=True).mode == "unblinded"
    assert AuditEntry.objects.filter(action="export.analysis", actor="operator").count() == 2


def test_an_empty_study_exports_empty_tables(people: Personas, tmp_path: Path) -> None:
    _export(people, Role.DSMB_MEMBER, tmp_path, unblinded=True)
    t = load_tables(tmp_path, ARMS)
    assert all(len(frame) == 0 for frame in t.frames().values())


def test_a_second_role_does_not_hide_the_one_that_unblinds(
    people: Personas, trial: SmallTrial, tmp_path: Path
) -> None:
    from psytrial.web.trial.actions import create_user, grant_role
    from tests.web.personas import PASSWORD

    both = create_user("statistician_and_pharmacist", PASSWORD)
    grant_role(both, people.study, Role.TRIAL_STATISTICIAN)
    grant_role(both, people.study, Role.PHARMACIST)
    lock_study(people[Role.DATA_MANAGER], people.study, "final")
    people.study.refresh_from_db()
    result = export_analysis(both, people.study, tmp_path, unblinded=True)
    assert result.mode == "unblinded"
    entry = AuditEntry.objects.get(action="export.analysis")
    assert entry.role == "trial_statistician"


def test_a_blinded_export_leaves_out_what_would_tell_the_groups_apart(
    people: Personas, trial: SmallTrial, tmp_path: Path
) -> None:
    """HRS scores or blinding guesses next to Group A/B would show which group had the full
    dose; the blinded export leaves them out, the unblinded one keeps them."""
    revealing = {i.id for i in people.study.protocol.instruments if i.reveals_arm}
    blinded = _export(people, Role.TRIAL_STATISTICIAN, tmp_path / "b").tables
    unblinded = _export(people, Role.DSMB_MEMBER, tmp_path / "u", unblinded=True).tables
    assert not set(blinded.scores["instrument"]) & revealing
    assert blinded.blinding_guesses.empty
    assert "hrs" in set(unblinded.scores["instrument"])
    assert not unblinded.blinding_guesses.empty
