"""Emergency unblinding: one arm, to one investigator, with a reason; audited, flagged, told.

The arm is shown through `blind.capability`, which honours the grant for that investigator and
that participant only: other investigators and other participants stay blind.
"""

from __future__ import annotations

import json
import re

import pytest

from psytrial.core.errors import BlindingError
from psytrial.core.roles import Role
from psytrial.web.audit.models import AuditEntry
from psytrial.web.blind import capability, is_unblinded
from psytrial.web.permissions import ActionDenied, ActionRefused
from psytrial.web.pharmacy.allocation import arm_of, sealed_arm_token
from psytrial.web.sealing import unseal
from psytrial.web.trial.actions import create_user, grant_role
from psytrial.web.trial.models import EmergencyUnblinding, Notification, Participant
from psytrial.web.unblinding.actions import (
    request_emergency_unblinding,
    revealed_arm,
    unblinding_log,
)
from tests.web.personas import PASSWORD, Personas
from tests.web.test_pharmacy_prepare import variant
from tests.web.test_pharmacy_support import (
    fast_passwords,  # noqa: F401 (autouse)
    randomized_pair,
    ready,
)

REASON = "Severe hypertension during the session; the treating physician must know the dose."
ARM_WORDS = re.compile(r"\b(high|low|arm_id)\b|Ketamine|mg/kg")


def second_investigator(people: Personas) -> object:
    user = create_user(f"investigator2_{people.study.code}", PASSWORD)
    grant_role(user, people.study, Role.INVESTIGATOR)
    return user


@pytest.fixture
def pair(people: Personas) -> tuple[Participant, Participant]:
    return randomized_pair(people)


@pytest.mark.django_db
def test_it_reveals_one_arm_to_one_investigator(
    people: Personas, pair: tuple[Participant, Participant]
) -> None:
    high, low = pair
    inv, inv2 = people[Role.INVESTIGATOR], second_investigator(people)
    with pytest.raises(BlindingError):
        capability(inv, people.study, high)
    grant = request_emergency_unblinding(inv, people.study, high.pk, REASON)
    shown = revealed_arm(inv, people.study, grant.pk)
    assert (shown.participant_code, shown.arm_id, shown.arm_label) == (
        high.code,
        "high",
        "Ketamine 2.0 mg/kg IM",
    )
    cap = capability(inv, people.study, high)
    assert (cap.participant_id, cap.basis) == (high.pk, "emergency")
    assert not is_unblinded(inv, people.study)
    # Other participants stay blind to the grantee, even with the grant's capability in hand.
    with pytest.raises(BlindingError):
        capability(inv, people.study, low)
    with pytest.raises(BlindingError, match="for this participant"):
        unseal(sealed_arm_token(low), cap, study_id=people.study.pk, participant_id=low.pk)
    with pytest.raises(BlindingError, match="for this participant"):
        arm_of(low, cap)
    # Other investigators stay blind to this participant.
    with pytest.raises(BlindingError):
        capability(inv2, people.study, high)
    with pytest.raises(ActionDenied):
        revealed_arm(inv2, people.study, grant.pk)


@pytest.mark.django_db
def test_it_shows_the_low_arm_as_it_is(
    people: Personas, pair: tuple[Participant, Participant]
) -> None:
    _, low = pair
    grant = request_emergency_unblinding(people[Role.INVESTIGATOR], people.study, low.pk, REASON)
    assert revealed_arm(people[Role.INVESTIGATOR], people.study, grant.pk).arm_id == "low"


@pytest.mark.django_db
def test_it_flags_the_participant_and_audits_without_the_arm(
    people: Personas, pair: tuple[Participant, Participant]
) -> None:
    high, low = pair
    inv = people[Role.INVESTIGATOR]
    grant = request_emergency_unblinding(inv, people.study, high.pk, f"  {REASON}\n")
    high.refresh_from_db()
    low.refresh_from_db()
    assert (high.emergency_unblinded, low.emergency_unblinded) == (True, False)
    entry = AuditEntry.objects.get(action="emergency_unblinding.granted")
    assert (entry.actor, entry.role, entry.object_id, entry.reason) == (
        inv.get_username(),
        "investigator",
        str(high.pk),
        REASON,
    )
    assert (entry.old, entry.new) == (
        {"emergency_unblinded": False},
        {"emergency_unblinded": True, "participant": high.code, "grant": grant.pk},
    )
    assert not ARM_WORDS.search(json.dumps([entry.old, entry.new]))


@pytest.mark.django_db
def test_it_tells_the_other_investigators_and_the_dsmb_without_the_arm(
    people: Personas,
    pair: tuple[Participant, Participant],
    django_capture_on_commit_callbacks: object,
) -> None:
    high, _ = pair
    inv2 = second_investigator(people)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        request_emergency_unblinding(people[Role.INVESTIGATOR], people.study, high.pk, REASON)
    notes = Notification.objects.filter(study=people.study, text__contains="Emergency")
    assert {n.user for n in notes} == {inv2, people[Role.DSMB_MEMBER]}
    for note in notes:
        assert high.code in note.text and "investigator_kpt2002" in note.text
        assert not ARM_WORDS.search(note.text) and REASON not in note.text
        assert note.url == f"/s/{people.study.code}/unblinding/"


@pytest.mark.django_db
def test_it_sends_nothing_when_the_request_is_refused(
    people: Personas,
    pair: tuple[Participant, Participant],
    django_capture_on_commit_callbacks: object,
) -> None:
    high, _ = pair
    inv = people[Role.INVESTIGATOR]
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        request_emergency_unblinding(inv, people.study, high.pk, REASON)
    before = Notification.objects.count()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,  # type: ignore[operator]
        pytest.raises(ActionRefused),
    ):
        request_emergency_unblinding(inv, people.study, high.pk, REASON)
    assert callbacks == [] and Notification.objects.count() == before


@pytest.mark.django_db
@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_it_requires_a_reason(
    people: Personas, pair: tuple[Participant, Participant], reason: str
) -> None:
    high, _ = pair
    with pytest.raises(ActionRefused, match="reason: expected why .* got nothing"):
        request_emergency_unblinding(people[Role.INVESTIGATOR], people.study, high.pk, reason)
    high.refresh_from_db()
    assert not high.emergency_unblinded and not EmergencyUnblinding.objects.exists()
    assert not AuditEntry.objects.filter(action="emergency_unblinding.granted").exists()


@pytest.mark.django_db
def test_it_refuses_a_participant_not_randomized(
    people: Personas, pair: tuple[Participant, Participant]
) -> None:
    waiting = ready(people)
    with pytest.raises(ActionRefused, match="expected a randomized participant"):
        request_emergency_unblinding(people[Role.INVESTIGATOR], people.study, waiting.pk, REASON)


@pytest.mark.django_db
def test_each_investigator_gets_a_grant_of_their_own_once(
    people: Personas, pair: tuple[Participant, Participant]
) -> None:
    high, _ = pair
    inv, inv2 = people[Role.INVESTIGATOR], second_investigator(people)
    request_emergency_unblinding(inv, people.study, high.pk, REASON)
    with pytest.raises(ActionRefused, match="you already hold the arm"):
        request_emergency_unblinding(inv, people.study, high.pk, REASON)
    second = request_emergency_unblinding(inv2, people.study, high.pk, "Second physician")
    assert revealed_arm(inv2, people.study, second.pk).arm_id == "high"
    entries = AuditEntry.objects.filter(action="emergency_unblinding.granted")
    assert [e.old["emergency_unblinded"] for e in entries.order_by("seq")] == [False, True]


@pytest.mark.django_db
@pytest.mark.parametrize("role", sorted(set(Role) - {Role.INVESTIGATOR}))
def test_only_an_investigator_requests(
    people: Personas, pair: tuple[Participant, Participant], role: Role
) -> None:
    high, _ = pair
    for user in (people[role], people.outsider):
        with pytest.raises(ActionDenied):
            request_emergency_unblinding(user, people.study, high.pk, REASON)
    assert not EmergencyUnblinding.objects.exists()


@pytest.mark.django_db
def test_an_investigator_of_another_site_is_denied() -> None:
    two_sites = variant(
        "    country: RU\n",
        "    country: RU\n  - id: msk\n    name: Moscow\n    country: RU\n",
        "kpt2sites",
    )
    high, _ = randomized_pair(two_sites)
    elsewhere = create_user("investigator_msk", PASSWORD)
    grant_role(elsewhere, two_sites.study, Role.INVESTIGATOR, two_sites.study.sites.get(code="msk"))
    with pytest.raises(ActionDenied, match="at one of your sites"):
        request_emergency_unblinding(elsewhere, two_sites.study, high.pk, REASON)


@pytest.mark.django_db
@pytest.mark.parametrize("role", sorted(Role))
def test_the_log_is_for_investigators_dsmb_and_monitors(
    people: Personas, pair: tuple[Participant, Participant], role: Role
) -> None:
    high, _ = pair
    request_emergency_unblinding(people[Role.INVESTIGATOR], people.study, high.pk, REASON)
    if role in {Role.INVESTIGATOR, Role.DSMB_MEMBER, Role.MONITOR}:
        rows = list(unblinding_log(people[role], people.study))
        assert [(g.participant, g.reason) for g in rows] == [(high, REASON)]
    else:
        with pytest.raises(ActionDenied):
            unblinding_log(people[role], people.study)
    with pytest.raises(ActionDenied):
        unblinding_log(people.outsider, people.study)
