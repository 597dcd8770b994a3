"""Personas for permission tests: one user per role, and an outsider with no role.

    from tests.web.personas import make_study, personas
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth.models import AbstractBaseUser

from psytrial.core.roles import Role
from psytrial.web.trial.actions import create_study, create_user, grant_role
from psytrial.web.trial.models import Study

PROTOCOLS = Path(__file__).resolve().parents[2] / "protocols"
PASSWORD = "correct horse battery staple 42"


def make_study(name: str = "kpt2002.yaml") -> Study:
    path = PROTOCOLS / name
    return create_study(path.read_text(), source=path.name)


@dataclass
class Personas:
    study: Study
    by_role: dict[Role, AbstractBaseUser]
    outsider: AbstractBaseUser

    def __getitem__(self, role: Role) -> AbstractBaseUser:
        return self.by_role[role]


def personas(study: Study) -> Personas:
    users: dict[Role, AbstractBaseUser] = {}
    for role in Role:
        user = create_user(f"{role.value}_{study.code}", PASSWORD)
        grant_role(user, study, role)
        users[role] = user
    outsider = create_user(f"outsider_{study.code}", PASSWORD)
    return Personas(study, users, outsider)
