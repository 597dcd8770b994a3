"""Dose preparation by the unblinded pharmacist: numbers, sealing, weight, refusals, roles.

Reference values are worked by hand from the protocol (kpt2002: high 2.0 mg/kg from a
50 mg/ml stock, low 0.2 mg/kg from 10 mg/ml, both made up to 5.0 ml, 0.05 ml graduations,
drug volume rounded half up to a graduation), not by the code under test:

    73.3 kg, high: 146.6 mg -> 2.932 ml -> 58.64 grad -> 59 grad = 2.95 ml = 147.5 mg
    73.3 kg, low:   14.66 mg -> 1.466 ml -> 29.32 grad -> 29 grad = 1.45 ml = 14.5 mg
"""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from psytrial.core.dosing import SealedDosingError
from psytrial.core.errors import DosingError
from psytrial.core.roles import Role
from psytrial.web.audit.models import AuditEntry
from psytrial.web.permissions import ActionDenied, ActionRefused
from psytrial.web.pharmacy.actions import prepare_dose
from psytrial.web.pharmacy.models import DosePreparation
from psytrial.web.pharmacy.readouts import preparation_details
from psytrial.web.trial.actions import create_study, create_user, grant_role
from psytrial.web.trial.models import Study
from tests.web.personas import PASSWORD, PROTOCOLS, Personas, personas
from tests.web.test_pharmacy_support import (
    arm,
    fast_passwords,  # noqa: F401 (autouse)
    prepared,
    randomized_pair,
    ready,
)


def variant(old: str, new: str, study_id: str) -> Personas:
    """kpt2002 with one line changed, as a new study with its own personas."""
    text = (PROTOCOLS / "kpt2002.yaml").read_text()
    assert old in text
    text = text.replace(old, new).replace("id: kpt2002", f"id: {study_id}")
    return personas(create_study(text))


@pytest.mark.django_db
def test_it_prepares_each_arm_to_the_same_total_volume(people: Personas) -> None:
    high, low = randomized_pair(people, weight="73.3")
    assert (arm(people, high), arm(people, low)) == ("high", "low")
    pharmacist = people[Role.PHARMACIST]
    h = preparation_details(pharmacist, people.study, prepared(people, high))
    lo = preparation_details(pharmacist, people.study, prepared(people, low))
    assert (h.mg_target, h.drug_ml, h.diluent_ml, h.mg_delivered) == (
        Decimal("146.6"),
        Decimal("2.95"),
        Decimal("2.05"),
        Decimal("147.5"),
    )
    assert (lo.mg_target, lo.drug_ml, lo.diluent_ml, lo.mg_delivered) == (
        Decimal("14.66"),
        Decimal("1.45"),
        Decimal("3.55"),
        Decimal("14.5"),
    )
    assert h.dose_error_pct == pytest.approx((147.5 - 146.6) / 146.6 * 100, rel=1e-12)
    assert lo.dose_error_pct == pytest.approx((14.5 - 14.66) / 14.66 * 100, rel=1e-12)
    assert h.total_ml == lo.total_ml == Decimal("5.00")
    assert h.drug_ml + h.diluent_ml == lo.drug_ml + lo.diluent_ml == Decimal("5.00")
    assert h.weight_kg == lo.weight_kg == Decimal("73.3")


@pytest.mark.django_db
def test_it_stores_only_the_shared_volume_in_clear(people: Personas) -> None:
    high, low = randomized_pair(people)
    rows = [prepared(people, high), prepared(people, low)]
    clear = [
        (r.kit_code != "", r.weight_kg, r.total_ml, r.volume_per_site_ml, r.injection_sites)
        for r in rows
    ]
    assert clear[0] == clear[1] == (True, Decimal("70"), Decimal("5"), Decimal("5"), 1)
    for row in rows:  # ciphertext: the JSON inside is not readable without the key
        raw = base64.urlsafe_b64decode(row.sealed)
        assert b'"arm"' not in raw and b'"high"' not in raw and b'"low"' not in raw
    assert rows[0].sealed != rows[1].sealed


@pytest.mark.django_db
def test_its_audit_entries_carry_no_arm_or_mg(people: Personas) -> None:
    high, low = randomized_pair(people)
    for p in (high, low):
        prepared(people, p)
    entries = AuditEntry.objects.filter(action="dose.prepared").order_by("seq")
    assert entries.count() == 2
    for entry in entries:
        shown = {k: v for k, v in entry.new.items() if k != "sealed"}
        text = json.dumps(shown) + entry.reason
        assert not re.search(r"high|low|mg|\b140\b|\b14\b|2\.8|1\.4", text), text
        assert shown["total_ml"] == "5.00" or Decimal(shown["total_ml"]) == Decimal("5")
    assert [e.new["kit_code"] for e in entries] == [high.kit_code, low.kit_code]


@pytest.mark.django_db
def test_it_takes_the_weight_from_the_baseline_form(people: Personas) -> None:
    high, _ = randomized_pair(people, weight="81.25")
    row = prepared(people, high)
    assert (row.weight_kg, row.weight_source) == (Decimal("81.25"), "baseline_form")
    details = preparation_details(people[Role.PHARMACIST], people.study, row)
    assert details.mg_target == Decimal("162.5")


@pytest.mark.django_db
def test_it_accepts_an_entered_weight_that_agrees_with_the_form(people: Personas) -> None:
    high, _ = randomized_pair(people)
    row = prepared(people, high, Decimal("70.000"))
    assert row.weight_source == "baseline_form"


@pytest.mark.django_db
def test_it_refuses_an_entered_weight_that_differs_from_the_form(people: Personas) -> None:
    high, _ = randomized_pair(people)
    with pytest.raises(
        ActionRefused, match=r"expected the baseline form's 70(\.0)? kg .* got 72 kg"
    ):
        prepared(people, high, Decimal("72"))
    assert not DosePreparation.objects.exists()


@pytest.mark.django_db
def test_it_refuses_a_weight_outside_the_dosing_range_in_plain_words(people: Personas) -> None:
    high, low = randomized_pair(people, weight="130")
    for p in (high, low):
        with pytest.raises(
            DosingError, match=r"expected a weight between 40(\.0)? and 120(\.0)? kg, got 130"
        ) as exc:
            prepared(people, p)
        assert not isinstance(exc.value, SealedDosingError)
    assert not DosePreparation.objects.exists()


def coarse() -> Personas:
    """kpt2002 with 0.1 ml graduations: at 42.5 kg the low dose (8.5 mg = 0.85 ml) rounds
    half up to 0.9 ml = 9 mg, +5.88 %, beyond the 5 % limit; the high dose (85 mg = 1.7 ml)
    is exact. A refusal that depends on the arm, so its message is sealed."""
    return variant("graduation_ml: 0.05", "graduation_ml: 0.1", "kptcoarse")


@pytest.mark.django_db
def test_it_refuses_a_dose_error_beyond_the_limit_with_a_sealed_message() -> None:
    study = coarse()
    high, low = randomized_pair(study, weight="42.5")
    with pytest.raises(
        SealedDosingError,
        match=r"at most 5(\.0)?%, got \+5\.882% \(9 mg delivered "
        r"for 8\.5 mg at 42\.5 kg\)",
    ):
        prepared(study, low)
    assert prepared(study, high).kit_code == high.kit_code


@pytest.mark.django_db
@pytest.mark.parametrize("role", sorted(set(Role) - {Role.PHARMACIST}))
def test_only_a_pharmacist_prepares_and_a_blind_role_sees_no_sealed_refusal(role: Role) -> None:
    study = coarse()
    _, low = randomized_pair(study, weight="42.5")
    for user in (study[role], study.outsider):
        with pytest.raises(ActionDenied) as exc:
            prepare_dose(user, study.study, low.pk, None)
        assert not re.search(r"mg|high|low|\d+ ml|%", str(exc.value))
    assert not DosePreparation.objects.exists()


@pytest.mark.django_db
def test_it_refuses_a_second_preparation_of_the_same_kit(people: Personas) -> None:
    high, _ = randomized_pair(people)
    prepared(people, high)
    with pytest.raises(ActionRefused, match=f"no preparation yet for kit {high.kit_code}"):
        prepared(people, high)
    assert DosePreparation.objects.count() == 1


@pytest.mark.django_db
def test_it_refuses_a_participant_not_yet_randomized(people: Personas) -> None:
    randomized_pair(people)
    waiting = ready(people)
    with pytest.raises(ActionRefused, match="expected a randomized participant .* 'consented'"):
        prepared(people, waiting)


@pytest.mark.django_db
def test_it_refuses_a_pharmacist_of_another_site() -> None:
    two_sites = variant(
        "    country: RU\n",
        "    country: RU\n  - id: msk\n    name: Moscow\n    country: RU\n",
        "kpt2sites",
    )
    high, _ = randomized_pair(two_sites)
    elsewhere = create_user("pharmacist_msk", PASSWORD)
    grant_role(elsewhere, two_sites.study, Role.PHARMACIST, two_sites.study.sites.get(code="msk"))
    with pytest.raises(ActionDenied, match="at one of your sites"):
        prepare_dose(elsewhere, two_sites.study, high.pk, None)


@pytest.mark.django_db
def test_it_refuses_to_prepare_once_the_database_is_locked(people: Personas) -> None:
    high, _ = randomized_pair(people)
    Study.objects.filter(pk=people.study.pk).update(locked_at=datetime(2024, 6, 1, tzinfo=UTC))
    people.study.refresh_from_db()
    with pytest.raises(ActionRefused, match="got one locked on 2024-06-01"):
        prepare_dose(people[Role.PHARMACIST], people.study, high.pk, None)
