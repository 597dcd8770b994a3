"""The demo's trial team: one login per role (per site where the role works at a site).

    role                        scope        usernames (site `spb`, and site02 ... with --sites)
    investigator                per site     investigator.spb
    psychotherapist             per site     psychotherapist.spb
    session clinician           per site     clinician.spb
    outcome rater               per site     rater.spb
    pharmacist                  per site     pharmacist.spb, pharmacist2.spb (the second
                                             pharmacist checks each preparation)
    randomization statistician  study-wide   randomizer
    trial statistician          study-wide   statistician
    data manager                study-wide   datamanager (locking the database needs a
                                             study-wide data manager)
    monitor                     study-wide   monitor
    DSMB member                 study-wide   dsmb
    administrator               study-wide   admin

Passwords are derived from the seed (HMAC-SHA256 of the username under a key made from the
seed), so the same seed prints the same logins; they are for a local demo only: anyone who
knows the seed knows them. The logins are created with `trial.actions.create_user` (password
policy, audit) and given their roles with `grant_role` by the administrator.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser

from psytrial.core.roles import Role
from psytrial.web.trial.actions import create_user, grant_role
from psytrial.web.trial.models import Site, Study

SITE_ROLES: tuple[tuple[Role, str], ...] = (
    (Role.INVESTIGATOR, "investigator"),
    (Role.PSYCHOTHERAPIST, "psychotherapist"),
    (Role.SESSION_CLINICIAN, "clinician"),
    (Role.OUTCOME_RATER, "rater"),
    (Role.PHARMACIST, "pharmacist"),
    (Role.PHARMACIST, "pharmacist2"),
)
STUDY_ROLES: tuple[tuple[Role, str], ...] = (
    (Role.ADMINISTRATOR, "admin"),
    (Role.RANDOMIZATION_STATISTICIAN, "randomizer"),
    (Role.TRIAL_STATISTICIAN, "statistician"),
    (Role.DATA_MANAGER, "datamanager"),
    (Role.MONITOR, "monitor"),
    (Role.DSMB_MEMBER, "dsmb"),
)
FULL_NAMES = {
    "investigator": "Investigator",
    "psychotherapist": "Psychotherapist",
    "clinician": "Session clinician",
    "rater": "Outcome rater",
    "pharmacist": "Pharmacist",
    "pharmacist2": "Second pharmacist",
    "admin": "Administrator",
    "randomizer": "Randomization statistician",
    "statistician": "Trial statistician",
    "datamanager": "Data manager",
    "monitor": "Monitor",
    "dsmb": "DSMB member",
}


def demo_password(seed: int, username: str) -> str:
    """A readable password made from the seed: 4 groups of 4 letters and digits."""
    key = hashlib.sha256(f"psytrial demo logins|{seed}".encode()).digest()
    digest = hmac.new(key, username.encode(), hashlib.sha256).digest()
    text = base64.b32encode(digest).decode().lower()[:16]
    return "-".join(text[i : i + 4] for i in range(0, 16, 4))


@dataclass(frozen=True)
class Login:
    username: str
    password: str
    role: Role
    site: str | None  # None: every site


@dataclass
class Team:
    """The team's users, found by role and site; the logins to print at the end."""

    logins: list[Login] = field(default_factory=list)
    _users: dict[tuple[str, str | None], AbstractBaseUser] = field(default_factory=dict)

    def user(self, handle: str, site: str | None = None) -> AbstractBaseUser:
        """The user `handle` ('investigator', 'pharmacist2', 'dsmb') at `site` if site-scoped."""
        found = self._users.get((handle, site)) or self._users.get((handle, None))
        if found is None:
            raise KeyError(f"no demo user {handle!r} at site {site!r}")
        return found

    def add(self, handle: str, site: str | None, user: AbstractBaseUser, login: Login) -> None:
        self._users[(handle, site)] = user
        self.logins.append(login)


def username_for(handle: str, site: str | None) -> str:
    return handle if site is None else f"{handle}.{site}"


def create_team(study: Study, seed: int) -> Team:
    """Every login of the demo, with its role; the administrator grants the roles."""
    team = Team()
    admin = _login(team, study, seed, Role.ADMINISTRATOR, "admin", None, actor=None)
    for role, handle in STUDY_ROLES:
        if handle != "admin":
            _login(team, study, seed, role, handle, None, actor=admin)
    for site in Site.objects.filter(study=study).order_by("pk"):
        for role, handle in SITE_ROLES:
            _login(team, study, seed, role, handle, site, actor=admin)
    return team


def _login(
    team: Team,
    study: Study,
    seed: int,
    role: Role,
    handle: str,
    site: Site | None,
    actor: AbstractBaseUser | None,
) -> AbstractBaseUser:
    site_code = site.code if site is not None else None
    username = username_for(handle, site_code)
    password = demo_password(seed, username)
    user = create_user(username, password, full_name=FULL_NAMES.get(handle, handle))
    grant_role(user, study, role, site, actor=actor)
    team.add(handle, site_code, user, Login(username, password, role, site_code))
    return user
