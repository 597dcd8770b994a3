"""The allocation list (once per study, sealed, its commitment public) and `randomize`: refused
with the reason until the participant is ready, idempotent, taking the next free slot of the
stratum in list order, and never writing the arm where blinded staff could read it."""

from __future__ import annotations

import hashlib
import json

import pytest

from psytrial.core.allocation import SeededSource, commitment, generate_from, to_csv
from psytrial.core.errors import AllocationError
from psytrial.core.protocol.adapters import allocation_parameters
from psytrial.core.roles import Role
from psytrial.web.audit.models import AuditEntry
from psytrial.web.blind import capability
from psytrial.web.enrolment.actions import enter_form, record_eligibility
from psytrial.web.permissions import ActionDenied, ActionRefused
from psytrial.web.randomization.actions import generate_list, randomize, upload_list
from psytrial.web.randomization.models import AllocationList, AllocationSlot
from psytrial.web.randomization.queries import open_arm
from psytrial.web.sealing import unseal
from psytrial.web.trial.actions import create_user, grant_role
from psytrial.web.trial.models import Notification, Study
from tests.web.personas import PASSWORD, Personas
from tests.web.test_enrolment_support import (  # noqa: F401
    CONSENT,
    ELIGIBLE,
    FIXED,
    baseline,
    fast_passwords,
    publish,
    ready,
    screened,
)

pytestmark = pytest.mark.django_db
SEED = 20020101


def _core_list(study: Study, n: int = 20, seed: int = SEED):  # type: ignore[no-untyped-def]
    return generate_from(allocation_parameters(study.protocol, n), SeededSource(seed))


def test_the_statistician_generates_a_sealed_list_equal_to_the_cores(people: Personas) -> None:
    study = people.study
    row = publish(people, n=20, seed=SEED)
    expected = _core_list(study)
    assert (
        row.commitment
        == commitment(expected)
        == hashlib.sha256(to_csv(expected).encode()).hexdigest()
    )
    assert row.seeded and row.how == "generated"
    cap = capability(people[Role.RANDOMIZATION_STATISTICIAN], study)
    assert unseal(row.sealed_csv, cap, study_id=study.pk)["csv"] == to_csv(expected)
    slots = list(AllocationSlot.objects.filter(allocation=row).order_by("pk"))
    assert [(s.stratum, s.sequence, s.kit_code, open_arm(s, cap, study.pk)) for s in slots] == [
        (s.stratum, s.sequence, s.kit_code, s.arm_id) for s in expected.slots
    ]
    arms = {a.id for a in study.protocol.arms}
    assert all(s.arm_sealed not in arms and "high" not in s.arm_sealed for s in slots)
    entry = AuditEntry.objects.get(action="allocation_list.generated")
    assert entry.new["commitment"] == row.commitment and entry.new["slots"] == 40
    assert "high" not in json.dumps(entry.new["strata"]) and "seed" not in entry.new


def test_a_list_without_seed_comes_from_the_system_source(people: Personas) -> None:
    row = publish(people, n=4, seed=None)
    assert not row.seeded and row.slots.count() == 8


@pytest.mark.parametrize("role", [r for r in Role if r != Role.RANDOMIZATION_STATISTICIAN])
def test_only_the_randomization_statistician_makes_the_list(people: Personas, role: Role) -> None:
    with pytest.raises(ActionDenied):
        generate_list(people[role], people.study, n_per_stratum=4)
    with pytest.raises(ActionDenied):
        upload_list(people[role], people.study, to_csv(_core_list(people.study)))
    with pytest.raises(ActionDenied):
        generate_list(people.outsider, people.study, n_per_stratum=4)
    assert not AllocationList.objects.exists()


def test_a_study_has_one_list(people: Personas) -> None:
    publish(people)
    with pytest.raises(ActionRefused, match="expected no allocation list yet, but one exists"):
        publish(people, seed=7)
    with pytest.raises(ActionRefused, match="one exists"):
        upload_list(
            people[Role.RANDOMIZATION_STATISTICIAN], people.study, to_csv(_core_list(people.study))
        )
    assert AllocationList.objects.count() == 1


def test_an_uploaded_list_keeps_its_commitment(people: Personas) -> None:
    text = to_csv(_core_list(people.study, n=10, seed=99))
    row = upload_list(people[Role.RANDOMIZATION_STATISTICIAN], people.study, text)
    assert row.commitment == hashlib.sha256(text.encode()).hexdigest() and row.how == "uploaded"
    assert row.slots.count() == 20


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda t: t.replace("\n", "\r\n"), "line 1: expected LF line ends, got CR"),
        (lambda t: t[:-1], "expected a newline at the end of the file"),
        (lambda t: "", "line 1: expected the allocation list header, got an empty file"),
        (lambda t: t.replace(",high,", ",placebo,", 1), "expected arm_id in high, low"),
        (lambda t: t.replace("sex=male,1,", "sex=male,2,", 1), "expected sequence 1"),
    ],
)
def test_a_malformed_upload_changes_nothing(people: Personas, mangle, message: str) -> None:  # type: ignore[no-untyped-def]
    text = mangle(to_csv(_core_list(people.study, n=10)))
    with pytest.raises(AllocationError, match=message):
        upload_list(people[Role.RANDOMIZATION_STATISTICIAN], people.study, text)
    assert not AllocationList.objects.exists() and not AllocationSlot.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="allocation_list").exists()


def test_an_upload_for_another_design_is_refused(people: Personas) -> None:
    from psytrial.core.allocation import AllocationParameters, ArmRatio

    params = AllocationParameters(
        study_id="kpt2002",
        arms=(ArmRatio("high", 2), ArmRatio("low", 1)),
        strata=("sex=male", "sex=female"),
        n_per_stratum=6,
        block_multipliers=(1,),
    )
    text = to_csv(generate_from(params, SeededSource(1)))
    with pytest.raises(
        AllocationError, match="arms: expected high:1,low:1 as in the protocol, got high:2,low:1"
    ):
        upload_list(people[Role.RANDOMIZATION_STATISTICIAN], people.study, text)
    assert not AllocationList.objects.exists()


def test_it_refuses_randomization_before_eligibility_and_consent(people: Personas) -> None:
    publish(people)
    inv = people[Role.INVESTIGATOR]
    p = screened(people)
    with pytest.raises(ActionRefused) as caught:
        randomize(inv, p)
    assert str(caught.value) == (
        "SPB-0001 cannot be randomized yet: eligibility checklist not entered yet; consent not "
        "recorded yet; expected status consented, got screened; stratum sex: baseline.sex not "
        "entered yet"
    )
    record_eligibility(inv, p, "screening", ELIGIBLE)
    enter_form(inv, p, "baseline", "baseline", baseline())
    with pytest.raises(
        ActionRefused,
        match="cannot be randomized yet: consent not recorded yet; "
        "expected status consented, got eligible$",
    ):
        randomize(inv, p)
    assert not AllocationSlot.objects.filter(participant__isnull=False).exists()
    p.refresh_from_db()
    assert p.kit_code == "" and p.randomized_at is None and p.status == "eligible"


def test_it_refuses_an_ineligible_participant_with_the_failed_criteria(people: Personas) -> None:
    publish(people)
    inv = people[Role.INVESTIGATOR]
    p = screened(people)
    record_eligibility(inv, p, "screening", ELIGIBLE | {"other_dependence": "true"})
    with pytest.raises(
        ActionRefused,
        match=r"ineligible: other_dependence \(exclusion criterion "
        r"present: Dependence on another substance",
    ):
        randomize(inv, p)


def test_it_refuses_before_the_list_is_published(people: Personas) -> None:
    p = ready(people)
    with pytest.raises(ActionRefused, match="has not published the allocation list"):
        randomize(people[Role.INVESTIGATOR], p)
    p.refresh_from_db()
    assert p.status == "consented"


def test_a_second_randomization_returns_the_first_allocation(people: Personas) -> None:
    publish(people)
    p = ready(people)
    inv = people[Role.INVESTIGATOR]
    first = randomize(inv, p)
    second = randomize(inv, p)
    third = randomize(inv, p)
    assert first.created and not second.created and not third.created
    assert first.kit_code == second.kit_code == third.kit_code
    assert AllocationSlot.objects.filter(participant__isnull=False).count() == 1
    assert AuditEntry.objects.filter(action="participant.randomized").count() == 1


def test_participants_take_the_slots_of_their_stratum_in_list_order(people: Personas) -> None:
    row = publish(people, n=6)
    inv = people[Role.INVESTIGATOR]
    sexes = ["male", "female", "female", "male", "male", "female", "male"]
    people_in_order = [ready(people, sex) for sex in sexes]
    for p in people_in_order:
        randomize(inv, p)
    expected = _core_list(people.study, n=6)
    for sex in ("male", "female"):
        taken = [p for p, s in zip(people_in_order, sexes, strict=True) if s == sex]
        kits = [s.kit_code for s in expected.slots_in(f"sex={sex}")][: len(taken)]
        for p in taken:
            p.refresh_from_db()
        assert [p.kit_code for p in taken] == kits
        sequences = list(
            AllocationSlot.objects.filter(
                allocation=row, stratum=f"sex={sex}", participant__isnull=False
            )
            .order_by("sequence")
            .values_list("sequence", flat=True)
        )
        assert sequences == list(range(1, len(taken) + 1))


def test_a_full_stratum_refuses_and_changes_nothing(people: Personas) -> None:
    publish(people, n=1)
    inv = people[Role.INVESTIGATOR]
    randomize(inv, ready(people, "female"))
    late = ready(people, "female")
    with pytest.raises(
        ActionRefused,
        match="stratum sex=female: expected a free slot, got none "
        r"\(all 1 taken\)",
    ):
        randomize(inv, late)
    late.refresh_from_db()
    assert late.status == "consented" and late.kit_code == ""


def test_randomization_sets_the_kit_and_audits_and_notifies_without_the_arm(
    people: Personas, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        publish(people)
    p = ready(people)
    with django_capture_on_commit_callbacks(execute=True):
        result = randomize(people[Role.INVESTIGATOR], p)
    p.refresh_from_db()
    assert (p.status, p.kit_code, p.stratum) == ("randomized", result.kit_code, "sex=male")
    entry = AuditEntry.objects.get(action="participant.randomized")
    assert entry.new == {"status": "randomized", "kit_code": result.kit_code, "stratum": "sex=male"}
    published = AuditEntry.objects.get(object_type="allocation_list")
    assert published.new["arms"] == {"high": 1, "low": 1}  # the protocol's public ratios
    texts = list(Notification.objects.values_list("text", flat=True))
    assert f"SPB-0001 randomized: prepare kit {result.kit_code}" in texts
    arm_words = {"high", "low", "2.0", "0.2", "ketamine"}
    for row in AuditEntry.objects.exclude(object_type="allocation_list"):
        blob = json.dumps([row.old, row.new, row.reason]).lower()
        assert not any(f'"{w}"' in blob for w in arm_words), row.action
    for text in texts:
        assert not any(w in text.lower().split() for w in arm_words)


@pytest.mark.parametrize("role", [r for r in Role if r != Role.INVESTIGATOR])
def test_only_an_investigator_randomizes(people: Personas, role: Role) -> None:
    publish(people)
    p = ready(people)
    with pytest.raises(ActionDenied):
        randomize(people[role], p)
    with pytest.raises(ActionDenied):
        randomize(people.outsider, p)
    p.refresh_from_db()
    assert p.status == "consented"


def test_an_investigator_of_another_site_cannot_randomize(people: Personas) -> None:
    publish(people)
    p = ready(people)
    other = people.study.sites.create(code="msk", name="Moscow")
    guest = create_user("msk_investigator", PASSWORD)
    grant_role(guest, people.study, Role.INVESTIGATOR, other)
    with pytest.raises(ActionDenied, match="at site spb"):
        randomize(guest, p)


def test_a_locked_study_refuses_randomization(people: Personas) -> None:
    publish(people)
    p = ready(people)
    Study.objects.filter(pk=people.study.pk).update(locked_at=FIXED)
    p.study.refresh_from_db()
    with pytest.raises(ActionRefused, match="expected an open database, got a locked one"):
        randomize(people[Role.INVESTIGATOR], p)


def test_a_readiness_gone_stale_before_the_lock_is_checked_again_under_it(
    people: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Readiness is read before the write transaction; if the participant's row says otherwise
    once locked (here: the checklist failed in between), the refusal is worked out under the
    lock and nothing is allocated."""
    import psytrial.web.randomization.actions as actions

    publish(people)
    p = ready(people)
    inv = people[Role.INVESTIGATOR]
    early = actions.readiness(p)
    assert not early.blockers
    enter_form(inv, p, "eligibility", "screening", {**ELIGIBLE, "psychosis": "true"},
               reason="psychosis found on review")
    calls = iter([early])
    real = actions.readiness
    monkeypatch.setattr(actions, "readiness", lambda q: next(calls, None) or real(q))
    with pytest.raises(ActionRefused, match="psychosis|ineligible"):
        randomize(inv, p)
    assert AllocationSlot.objects.filter(participant__isnull=False).count() == 0


def test_a_stratum_corrected_before_the_lock_takes_the_corrected_stratum(
    people: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    import psytrial.web.randomization.actions as actions

    publish(people)
    p = ready(people, sex="male")
    inv = people[Role.INVESTIGATOR]
    early = actions.readiness(p)
    assert early.stratum.label == "sex=male"
    enter_form(inv, p, "baseline", "baseline", baseline("female"), reason="sex mistyped")
    calls = iter([early])
    real = actions.readiness
    monkeypatch.setattr(actions, "readiness", lambda q: next(calls, None) or real(q))
    randomize(inv, p)
    slot = AllocationSlot.objects.get(participant__isnull=False)
    assert slot.stratum == "sex=female"
