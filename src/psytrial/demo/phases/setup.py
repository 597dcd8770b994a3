"""Setting the trial up: the study from its protocol, the team, the sealed allocation list.

The randomization statistician draws the list in the reproducible mode with the demo's
`--seed`, sized for the planned sample: every stratum gets as many slots as participants are
planned, so no stratum can run out whatever the mix of sexes and sites turns out to be
(ASSUMPTION: the usual generous sizing of a stratified list). So anyone can regenerate it
and check the commitment the study published:
`psytrial randomization generate --protocol DIR/protocol.yaml --n N --seed S --out list.csv`.
"""

from __future__ import annotations

from psytrial.demo.users import Team, create_team
from psytrial.web.randomization.actions import generate_list
from psytrial.web.randomization.models import AllocationList
from psytrial.web.trial.actions import create_study
from psytrial.web.trial.models import Study


def set_up_study(protocol_text: str, source: str, seed: int) -> tuple[Study, Team]:
    study = create_study(protocol_text, source=source)
    return study, create_team(study, seed)


def seal_allocation_list(study: Study, team: Team, seed: int, participants: int) -> AllocationList:
    return generate_list(team.user("randomizer"), study, n_per_stratum=participants, seed=seed)
