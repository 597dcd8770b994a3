"""Queueing concurrent writers of one participant.

On PostgreSQL a write that reads and then changes a participant's data takes the
participant's row lock (`SELECT ... FOR UPDATE`), so two saves of one participant run one
after the other. SQLite has no row locks: every write transaction starts IMMEDIATE
(settings), which already holds the database's single write lock for the whole transaction,
so there is nothing more to take and no query is sent.
"""

from __future__ import annotations

from django.db import connection

from psytrial.web.trial.models import Participant


def lock_participant(participant_id: int) -> None:
    """Hold the participant's row until the surrounding transaction ends (PostgreSQL)."""
    if not connection.features.has_select_for_update:
        return
    list(Participant.objects.select_for_update().filter(pk=participant_id).values_list("pk"))
