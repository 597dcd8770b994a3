"""Enrolment: screening with per-site identifiers, the eligibility checklist, consent and the
randomization stratum, each step moving the participant through `psytrial.core.status`."""
