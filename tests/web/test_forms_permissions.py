"""Who enters which instrument: every role and the outsider against every kpt2002 instrument,
the blinding guess per guesser, and the rule that an outcome rater never touches an
arm-revealing instrument, whatever other role they hold."""

from __future__ import annotations

import pytest

from psytrial.core.roles import Role
from psytrial.web.forms.actions import lock_form, save_form
from psytrial.web.forms.models import FormRecord
from psytrial.web.forms.permissions import entry_roles, may_read, reveals_arm
from psytrial.web.permissions import ActionDenied
from psytrial.web.trial.actions import create_user, grant_role
from psytrial.web.trial.models import Participant
from tests.web.personas import PASSWORD, Personas
from tests.web.test_enrolment_support import fast_passwords, screened, valid_raw  # noqa: F401

pytestmark = pytest.mark.django_db

INV, PT, SC, OR = (
    Role.INVESTIGATOR,
    Role.PSYCHOTHERAPIST,
    Role.SESSION_CLINICIAN,
    Role.OUTCOME_RATER,
)

# (instrument, visit, variant) -> the roles that enter it; everyone else is refused.
EXPECTED: dict[tuple[str, str, str], set[Role]] = {
    ("eligibility", "screening", ""): {INV},
    ("consent", "screening", ""): {INV},
    ("baseline", "baseline", ""): {INV},
    ("withdrawal", "", ""): {INV},
    ("adverse_event", "", ""): {INV, SC},
    ("prep_note", "prep1", ""): {PT},
    ("integration_note", "integration1", ""): {PT},
    ("hrs", "session", ""): {PT},
    ("vitals", "session", ""): {SC},
    ("discharge", "session", ""): {SC},
    ("followup", "m01", ""): {OR},
    ("craving", "baseline", ""): {OR},
    ("colour_test", "baseline", ""): {OR},
    ("blinding_guess", "integration1", "participant"): {PT},
    ("blinding_guess", "integration1", "therapist"): {PT},
    ("blinding_guess", "integration1", "rater"): {OR},
}


@pytest.fixture
def participant(people: Personas) -> Participant:
    return screened(people)


@pytest.mark.parametrize(("instrument_id", "visit", "variant"), list(EXPECTED))
def test_every_role_enters_only_its_instruments(
    people: Personas, participant: Participant, instrument_id: str, visit: str, variant: str
) -> None:
    defn = people.study.protocol.instrument(instrument_id)
    allowed = EXPECTED[(instrument_id, visit, variant)]
    for role in Role:
        raw = valid_raw(defn, variant)
        if role in allowed:
            record = save_form(people[role], participant, instrument_id, visit, raw)
            assert record.current_version == 1, role
        else:
            before = FormRecord.objects.count()
            with pytest.raises(ActionDenied):
                save_form(people[role], participant, instrument_id, visit, raw)
            assert FormRecord.objects.count() == before
    with pytest.raises(ActionDenied, match="outsider_kpt2002 is not|never see"):
        save_form(people.outsider, participant, instrument_id, visit, valid_raw(defn, variant))


def test_the_table_covers_every_instrument_of_the_protocol(people: Personas) -> None:
    protocol = people.study.protocol
    covered = {key[0] for key in EXPECTED}
    assert covered == {d.id for d in protocol.instruments}
    for (instrument_id, _, variant), roles in EXPECTED.items():
        assert entry_roles(protocol.instrument(instrument_id), variant) == roles


def test_a_rater_who_is_also_a_clinician_never_enters_vital_signs(
    people: Personas, participant: Participant
) -> None:
    both = create_user("dual_role", PASSWORD)
    grant_role(both, people.study, SC)
    grant_role(both, people.study, OR)
    vitals = people.study.protocol.instrument("vitals")
    with pytest.raises(ActionDenied, match="outcome raters never see"):
        save_form(both, participant, "vitals", "session", valid_raw(vitals))
    ae = people.study.protocol.instrument("adverse_event")
    assert save_form(both, participant, "adverse_event", "", valid_raw(ae)).occurrence == 1


def test_only_the_raters_own_guess_is_hidden_from_nobody(people: Personas) -> None:
    guess = people.study.protocol.instrument("blinding_guess")
    hrs = people.study.protocol.instrument("hrs")
    assert reveals_arm(guess, "rater") is False
    assert reveals_arm(guess, "therapist") is True and reveals_arm(hrs) is True
    assert may_read({OR}, guess, "rater") and not may_read({OR}, guess, "participant")
    assert not may_read({OR}, hrs) and may_read({Role.MONITOR}, hrs)
    assert not may_read({Role.ADMINISTRATOR}, people.study.protocol.instrument("baseline"))


def test_a_site_role_enters_only_at_its_site(people: Personas, participant: Participant) -> None:
    elsewhere = people.study.sites.create(code="msk", name="Moscow")
    guest = create_user("msk_investigator", PASSWORD)
    grant_role(guest, people.study, INV, elsewhere)
    baseline = people.study.protocol.instrument("baseline")
    with pytest.raises(ActionDenied, match="at site spb"):
        save_form(guest, participant, "baseline", "baseline", valid_raw(baseline))


@pytest.mark.parametrize("role", list(Role))
def test_only_a_data_manager_locks_a_form(
    people: Personas, participant: Participant, role: Role
) -> None:
    defn = people.study.protocol.instrument("baseline")
    record = save_form(people[INV], participant, "baseline", "baseline", valid_raw(defn))
    if role == Role.DATA_MANAGER:
        assert lock_form(people[role], record).locked
    else:
        with pytest.raises(ActionDenied):
            lock_form(people[role], record)
        assert not FormRecord.objects.get(pk=record.pk).locked
    with pytest.raises(ActionDenied):
        lock_form(people.outsider, record)
