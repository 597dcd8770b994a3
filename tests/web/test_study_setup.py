"""Creating a study from a protocol, users and roles; the protocol cannot change silently."""

from __future__ import annotations

import pytest

from psytrial.core.errors import ProtocolError
from psytrial.core.roles import Role
from psytrial.web.audit.models import AuditEntry
from psytrial.web.permissions import ActionDenied, ActionRefused, require_role
from psytrial.web.trial.actions import create_study, create_user, grant_role
from psytrial.web.trial.models import Study
from tests.web.personas import PROTOCOLS, Personas


@pytest.mark.django_db
def test_it_creates_a_study_with_its_sites_and_audits_it(study: Study) -> None:
    assert study.code == "kpt2002"
    assert [s.code for s in study.sites.all()] == ["spb"]
    assert study.protocol.study.version == "1.0"
    entry = AuditEntry.objects.get(action="study.created")
    assert entry.new["protocol_digest"] == study.protocol_digest


@pytest.mark.django_db
def test_it_refuses_a_second_study_with_the_same_id(study: Study) -> None:
    with pytest.raises(ActionRefused, match="study 'kpt2002' exists"):
        create_study((PROTOCOLS / "kpt2002.yaml").read_text())


@pytest.mark.django_db
def test_it_refuses_a_protocol_changed_under_existing_data(study: Study) -> None:
    Study.objects.filter(pk=study.pk).update(
        protocol_text=study.protocol_text.replace("mg_per_kg: 0.2", "mg_per_kg: 0.3"))
    study.refresh_from_db()
    with pytest.raises(ProtocolError, match="changed outside psytrial"):
        _ = study.protocol


@pytest.mark.django_db
def test_it_enforces_the_password_policy() -> None:
    with pytest.raises(ActionRefused, match="password: .*too short"):
        create_user("bob", "short1")
    with pytest.raises(ActionRefused, match="password: .*too common"):
        create_user("bob", "password1234")


@pytest.mark.django_db
def test_it_scopes_a_site_role_to_its_site(study: Study) -> None:
    user = create_user("carol", "a long enough passphrase 7")
    site = study.sites.get()
    grant_role(user, study, Role.OUTCOME_RATER, site)
    assert require_role(user, study, {Role.OUTCOME_RATER}, site).site == site
    with pytest.raises(ActionDenied, match="expected a investigator"):
        require_role(user, study, {Role.INVESTIGATOR}, site)


@pytest.mark.django_db
def test_only_an_administrator_grants_roles(people: Personas) -> None:
    newcomer = create_user("dave", "a long enough passphrase 8")
    with pytest.raises(ActionDenied):
        grant_role(newcomer, people.study, Role.MONITOR, actor=people[Role.INVESTIGATOR])
    grant_role(newcomer, people.study, Role.MONITOR, actor=people[Role.ADMINISTRATOR])
    assert require_role(newcomer, people.study, {Role.MONITOR})
