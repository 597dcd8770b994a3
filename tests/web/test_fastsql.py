"""`fastsql.insert` writes exactly the row `Model.objects.create` writes, on either database.

The save path inserts form records, form versions and audit entries with it; a difference in
how a value is prepared (JSON, an aware datetime, a blank string, a foreign key) would show
here as a row that reads back differently from its ORM twin.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection, transaction
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext

from psytrial.core.roles import Role
from psytrial.web.audit.models import AuditEntry
from psytrial.web.audit.trail import verify
from psytrial.web.enrolment.actions import screen
from psytrial.web.fastsql import insert
from psytrial.web.forms.models import FormRecord, FormVersion
from psytrial.web.txn import action_transaction

pytestmark = pytest.mark.django_db

AT = datetime(2002, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)


def _twins(make):  # type: ignore[no-untyped-def]
    """The same new object written by the ORM and by `insert`, both read back."""
    by_orm = make()
    by_orm.save()
    by_insert = insert(make())
    model = type(by_orm)
    return model.objects.get(pk=by_orm.pk), model.objects.get(pk=by_insert.pk), by_insert


def _same_but_id(a, b, *differ: str) -> None:  # type: ignore[no-untyped-def]
    left, right = model_to_dict(a), model_to_dict(b)
    for name in ("id", *differ):
        left.pop(name, None), right.pop(name, None)
    assert left == right


def test_a_form_version_reads_back_like_its_orm_twin(people) -> None:  # type: ignore[no-untyped-def]
    participant = screen(people[Role.INVESTIGATOR], people.study, people.study.sites.get())
    records = iter(range(1, 3))

    def record() -> FormRecord:
        return FormRecord(
            participant=participant, instrument_id="craving", visit_id="m01",
            occurrence=next(records), variant="", current_version=1,
        )

    orm, fast, written = _twins(record)
    _same_but_id(orm, fast, "occurrence")
    assert written.pk == fast.pk and fast.signed_at is None and fast.locked is False

    data = {"value": 12.5, "note": "naïve – ünïcode", "when": "2002-03-04", "flag": True,
            "nothing": None, "list": [1, "two"]}
    versions = iter((1, 2))
    orm, fast, _ = _twins(lambda: FormVersion(
        record=orm, version=next(versions), data=data, saved_by=people[Role.INVESTIGATOR],
        saved_at=AT, reason="",
    ))
    _same_but_id(orm, fast, "version")
    assert fast.data == data and fast.saved_at == AT


def test_an_audit_entry_reads_back_like_its_orm_twin(db) -> None:  # type: ignore[no-untyped-def]
    seqs = iter((900001, 900002))

    def entry() -> AuditEntry:
        return AuditEntry(
            seq=next(seqs), at=AT, actor="a", role="", action="x.y", study="s",
            object_type="form", object_id="P-1/craving", old={}, new={"values": {"v": 1}},
            reason="why", prev_hash="0" * 64, hash="f" * 64,
        )

    orm, fast, _ = _twins(entry)
    _same_but_id(orm, fast, "seq")
    assert fast.at == AT and fast.new == {"values": {"v": 1}}


def test_it_refuses_an_object_that_has_a_row_already(db) -> None:  # type: ignore[no-untyped-def]
    row = AuditEntry(seq=1, at=AT, actor="a", action="x", prev_hash="0", hash="1")
    row.pk = 5
    with pytest.raises(ValueError, match="expected a new AuditEntry, got one with id 5"):
        insert(row)


def test_saves_keep_the_audit_chain_whole(people) -> None:  # type: ignore[no-untyped-def]
    from psytrial.web.forms.actions import save_form

    participant = screen(people[Role.INVESTIGATOR], people.study, people.study.sites.get())
    rater = people[Role.OUTCOME_RATER]
    save_form(rater, participant, "craving", "baseline", {"value": "70"})
    save_form(rater, participant, "craving", "baseline", {"value": "60"}, reason="typo")
    assert verify().ok


def test_nested_actions_share_one_transaction_and_a_refusal_undoes_all(people) -> None:  # type: ignore[no-untyped-def]
    """Inside an action, an inner action opens no savepoint; the outer one still rolls back."""
    participant = screen(people[Role.INVESTIGATOR], people.study, people.study.sites.get())
    before = AuditEntry.objects.count()

    class Refused(Exception):
        pass

    with CaptureQueriesContext(connection) as captured, pytest.raises(Refused), (
        action_transaction()
    ):
        with action_transaction():  # joins: no SAVEPOINT statement
            insert(AuditEntry(seq=800001, at=AT, actor="a", action="x", prev_hash="0",
                              hash="1"))
        raise Refused
    savepoints = [q for q in captured.captured_queries if "SAVEPOINT" in q["sql"].upper()]
    # One savepoint pair: the outer action inside the test's own transaction; none for the
    # inner one.
    assert len([q for q in savepoints if q["sql"].upper().startswith("SAVEPOINT")]) == 1
    assert AuditEntry.objects.count() == before
    assert transaction.get_connection().in_atomic_block  # the test's transaction is usable
    assert participant.pk is not None


def test_first_finds_what_the_orm_finds(people) -> None:  # type: ignore[no-untyped-def]
    from psytrial.web.fastsql import first
    from psytrial.web.forms.actions import lock_form, save_form

    participant = screen(people[Role.INVESTIGATOR], people.study, people.study.sites.get())
    rater = people[Role.OUTCOME_RATER]
    saved = save_form(rater, participant, "craving", "baseline", {"value": "70"})
    lock_form(people[Role.DATA_MANAGER], saved)
    key = {"instrument_id": "craving", "visit_id": "baseline", "occurrence": 1, "variant": ""}
    by_orm = FormRecord.objects.filter(participant=participant, **key).order_by("pk").first()
    found = first(FormRecord, participant_id=participant.pk, **key)
    assert found is not None and by_orm is not None
    assert model_to_dict(found) == model_to_dict(by_orm)
    assert found.locked is True and not found._state.adding and found._state.db == "default"
    assert first(FormRecord, participant_id=participant.pk, **{**key, "visit_id": "m01"}) is None

    # Aware datetimes, JSON and a foreign key come back as the ORM gives them.
    version = first(FormVersion, record_id=found.pk, version=1)
    orm_version = FormVersion.objects.get(record=found, version=1)
    assert version is not None
    assert (version.saved_at, version.data, version.saved_by_id) == (
        orm_version.saved_at, orm_version.data, orm_version.saved_by_id)
    assert version.saved_at.tzinfo is not None


def test_first_with_null_order_and_lock_and_update(people) -> None:  # type: ignore[no-untyped-def]
    """The randomization's statements: the first free slot of a stratum by sequence (IS NULL,
    ORDER BY), the list's row lock, and the slot and participant updates."""
    from psytrial.web.fastsql import first, update
    from psytrial.web.randomization.actions import generate_list
    from psytrial.web.randomization.models import AllocationList, AllocationSlot

    generate_list(people[Role.RANDOMIZATION_STATISTICIAN], people.study, n_per_stratum=4,
                  seed=7)
    allocation = AllocationList.objects.get(study=people.study)
    with CaptureQueriesContext(connection) as captured:
        locked = first(AllocationList, lock=True, study_id=people.study.pk)
    assert locked is not None and locked.pk == allocation.pk
    assert ("FOR UPDATE" in captured.captured_queries[-1]["sql"]) == (
        connection.vendor == "postgresql")

    stratum = AllocationSlot.objects.values_list("stratum", flat=True).first()
    by_orm = (AllocationSlot.objects.filter(allocation=allocation, stratum=stratum,
                                            participant__isnull=True)
              .order_by("sequence").first())
    slot = first(AllocationSlot, order_by="sequence", allocation_id=allocation.pk,
                 stratum=stratum, participant_id=None)
    assert slot is not None and by_orm is not None and slot.pk == by_orm.pk
    assert model_to_dict(slot) == model_to_dict(by_orm)

    participant = screen(people[Role.INVESTIGATOR], people.study, people.study.sites.get())
    slot.participant, slot.taken_at = participant, AT
    update(slot, "participant", "taken_at")
    participant.kit_code, participant.randomized_at = slot.kit_code, AT
    update(participant, "kit_code", "randomized_at")
    slot.refresh_from_db()
    participant.refresh_from_db()
    assert (slot.participant_id, slot.taken_at) == (participant.pk, AT)
    assert (participant.kit_code, participant.randomized_at) == (slot.kit_code, AT)
    nxt = first(AllocationSlot, order_by="sequence", allocation_id=allocation.pk,
                stratum=stratum, participant_id=None)
    assert nxt is not None and nxt.sequence > slot.sequence


def test_update_of_a_vanished_row_is_an_error(db) -> None:  # type: ignore[no-untyped-def]
    from psytrial.web.fastsql import update

    row = insert(AuditEntry(seq=700001, at=AT, actor="a", action="x", prev_hash="0", hash="1"))
    ghost = AuditEntry(pk=row.pk + 1000, seq=1, at=AT, actor="a", action="x", prev_hash="0",
                       hash="1")
    with pytest.raises(RuntimeError, match="expected to update one AuditEntry row, updated 0"):
        update(ghost, "actor")


def test_insert_then_moves_another_row_with_it(db) -> None:  # type: ignore[no-untyped-def]
    from psytrial.web.audit.models import ChainHead

    head, _ = ChainHead.objects.get_or_create(pk=1, defaults={"seq": 0, "hash": "0" * 64})
    move = ("UPDATE audit_chainhead SET seq = %s WHERE id = %s", [700001, head.pk])
    with CaptureQueriesContext(connection) as captured:
        row = insert(AuditEntry(seq=700001, at=AT, actor="a", action="x", prev_hash="0",
                                hash="1"), then=move)
    # One round trip on PostgreSQL (a data-modifying WITH), two statements on SQLite.
    assert len(captured.captured_queries) == (1 if connection.vendor == "postgresql" else 2)
    assert AuditEntry.objects.get(pk=row.pk).seq == 700001
    assert ChainHead.objects.get(pk=head.pk).seq == 700001


def test_insert_then_refuses_an_update_that_changes_no_row(db) -> None:  # type: ignore[no-untyped-def]
    nowhere = ("UPDATE audit_chainhead SET seq = %s WHERE id = %s", [1, 987654])
    with pytest.raises(RuntimeError, match="to change one row, it changed 0"), (
        transaction.atomic()
    ):
        insert(AuditEntry(seq=700002, at=AT, actor="a", action="x", prev_hash="0", hash="1"),
               then=nowhere)
    assert not AuditEntry.objects.filter(seq=700002).exists()


def test_insert_new_inserts_once_and_then_says_the_row_is_there(people) -> None:  # type: ignore[no-untyped-def]
    from psytrial.web.fastsql import insert_new

    participant = screen(people[Role.INVESTIGATOR], people.study, people.study.sites.get())

    def record() -> FormRecord:
        return FormRecord(participant=participant, instrument_id="craving", visit_id="m01",
                          occurrence=1, variant="", current_version=1)

    first_one = record()
    with CaptureQueriesContext(connection) as captured:
        assert insert_new(first_one) is True
    assert len(captured.captured_queries) == 1 and first_one.pk is not None
    again = record()
    assert insert_new(again) is False
    assert again.pk is None
    assert FormRecord.objects.filter(participant=participant).count() == 1
    assert FormRecord.objects.get(pk=first_one.pk).current_version == 1


def test_a_refused_first_save_leaves_no_record(people) -> None:  # type: ignore[no-untyped-def]
    from psytrial.web.forms.actions import FormConflict, save_form

    participant = screen(people[Role.INVESTIGATOR], people.study, people.study.sites.get())
    with pytest.raises(FormConflict, match="expected version 3 of this form, but it holds none"):
        save_form(people[Role.OUTCOME_RATER], participant, "craving", "baseline",
                  {"value": "70"}, expected_version=3)
    assert not FormRecord.objects.filter(participant=participant).exists()
    record = save_form(people[Role.OUTCOME_RATER], participant, "craving", "baseline",
                       {"value": "70"}, expected_version=0)
    assert record.current_version == 1
    edited = save_form(people[Role.OUTCOME_RATER], participant, "craving", "baseline",
                       {"value": "60"}, reason="typo", expected_version=1)
    assert (edited.pk, edited.current_version) == (record.pk, 2)
    assert list(FormVersion.objects.filter(record=record).values_list("version", flat=True)
                .order_by("version")) == [1, 2]
    assert verify().ok


def _same_rows(ours, theirs, related) -> None:  # type: ignore[no-untyped-def]
    assert [model_to_dict(o) for o in ours] == [model_to_dict(t) for t in theirs]
    for o, t in zip(ours, theirs, strict=True):
        for name in related:  # the related rows came with them, the same and already loaded
            assert type(o)._meta.get_field(name).is_cached(o)
            mine, orm = getattr(o, name), getattr(t, name)
            assert (mine is None) == (orm is None)
            if mine is not None:
                assert model_to_dict(mine) == model_to_dict(orm) and mine.pk == orm.pk


def test_related_rows_come_back_as_select_related_gives_them(people) -> None:  # type: ignore[no-untyped-def]
    from django.db.models import Model

    from psytrial.web.accounts.actions import issue_token
    from psytrial.web.accounts.models import ApiToken
    from psytrial.web.fastsql import first, rows
    from psytrial.web.trial.actions import grant_role
    from psytrial.web.trial.models import Membership, Participant

    site = people.study.sites.get()
    rater = people[Role.OUTCOME_RATER]
    grant_role(rater, people.study, Role.PSYCHOTHERAPIST, site)  # a site-bound second role
    issue_token(rater, "one"), issue_token(rater, "two")
    participant = screen(people[Role.INVESTIGATOR], people.study, site)
    from psytrial.web.forms.actions import save_form

    record = save_form(rater, participant, "craving", "baseline", {"value": "70"})
    save_form(rater, participant, "craving", "baseline", {"value": "60"}, reason="typo")
    cases: list[tuple[type[Model], tuple[str, ...], dict[str, object], str | None]] = [
        # memberships of a user: one study-wide (site NULL: the outer join), one at a site
        (Membership, ("site",), {"user_id": rater.pk, "study_id": people.study.pk,
                                  "active": True}, None),
        (Participant, ("site",), {"id": participant.pk, "study_id": people.study.pk}, None),
        (ApiToken, ("user",), {"user_id": rater.pk, "revoked": False}, None),
        (FormVersion, ("saved_by",), {"record_id": record.pk}, "version"),
        (Membership, ("site", "user"), {"study_id": people.study.pk}, None),
    ]
    for model, related, equal, order in cases:
        orm = list(model.objects.filter(**equal).select_related(*related)  # type: ignore[attr-defined]
                   .order_by(order or "pk"))
        assert orm, model
        with CaptureQueriesContext(connection) as captured:
            ours = rows(model, related=related, order_by=order, **equal)
            one = first(model, related=related, order_by=order, **equal)
        assert len(captured.captured_queries) == 2  # one statement each, joins included
        _same_rows(ours, orm, related)
        _same_rows([one], orm[:1], related)
    nulls = [m for m in rows(Membership, related=("site",), user_id=rater.pk,
                             study_id=people.study.pk, active=True) if m.site_id is None]
    assert nulls and nulls[0].site is None
    assert first(Participant, related=("site",), id=participant.pk, study_id=-1) is None
    assert rows(FormVersion, related=("saved_by",), record_id=-1) == []


def test_first_locks_only_its_own_row_when_joined(people) -> None:  # type: ignore[no-untyped-def]
    from psytrial.web.fastsql import first
    from psytrial.web.trial.models import Participant

    participant = screen(people[Role.INVESTIGATOR], people.study, people.study.sites.get())
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        found = first(Participant, related=("site",), lock=True, id=participant.pk)
    assert found is not None and found.site.code == participant.site.code
    sql = next(q["sql"] for q in captured.captured_queries if "trial_participant" in q["sql"])
    if connection.vendor == "postgresql":
        assert sql.endswith('FOR UPDATE OF "trial_participant"')
    else:
        assert "FOR UPDATE" not in sql


def test_an_integer_no_column_holds_finds_nothing_as_in_the_orm(people) -> None:  # type: ignore[no-untyped-def]
    from psytrial.web.fastsql import first, rows
    from psytrial.web.trial.models import Participant

    screen(people[Role.INVESTIGATOR], people.study, people.study.sites.get())
    for huge in (2**63, 2**70, -(2**63) - 1):
        assert list(Participant.objects.filter(pk=huge)) == []  # the ORM's answer
        assert first(Participant, id=huge) is None
        assert first(Participant, related=("site",), site_id=huge) is None
        assert rows(Participant, study_id=huge) == []
    assert first(Participant, id=2**63 - 1) is None  # the largest it holds is asked for


def test_deferred_fields_are_not_read_and_load_on_access_as_in_the_orm(people) -> None:  # type: ignore[no-untyped-def]
    from psytrial.web.fastsql import first
    from psytrial.web.forms.actions import save_form

    participant = screen(people[Role.INVESTIGATOR], people.study, people.study.sites.get())
    rater = people[Role.OUTCOME_RATER]
    save_form(rater, participant, "craving", "baseline", {"value": "70"})
    found = FormVersion.objects.get(record__participant=participant)
    with CaptureQueriesContext(connection) as read:
        lean = first(FormVersion, defer=("data", "reason"), id=found.pk)
    assert lean is not None and len(read.captured_queries) == 1
    sql = read.captured_queries[0]["sql"]
    assert '"data"' not in sql and '"reason"' not in sql and '"saved_at"' in sql
    by_orm = FormVersion.objects.defer("data", "reason").get(pk=found.pk)
    assert lean.get_deferred_fields() == by_orm.get_deferred_fields() == {"data", "reason"}
    assert (lean.version, lean.saved_at, lean.saved_by_id) == (
        by_orm.version, by_orm.saved_at, by_orm.saved_by_id)
    with CaptureQueriesContext(connection) as later:
        assert lean.data == found.data  # read on first access, as a deferred field is
    assert len(later.captured_queries) == 1
    with pytest.raises(ValueError, match="cannot defer"):
        first(FormVersion, defer=("id",), id=found.pk)
    with pytest.raises(ValueError, match="cannot defer"):
        first(FormVersion, defer=("no_such_field",), id=found.pk)


def test_randomization_does_not_read_the_sealed_list(people) -> None:  # type: ignore[no-untyped-def]
    """The list's row is locked to take a slot, but its sealed CSV (which grows with the list)
    is not read for it."""
    from psytrial.web.randomization.actions import randomize
    from tests.web.test_enrolment_support import publish, ready

    publish(people, n=8)
    participant = ready(people)
    with CaptureQueriesContext(connection) as done:
        randomize(people[Role.INVESTIGATOR], participant)
    reads = [q["sql"] for q in done.captured_queries if "randomization_allocationlist" in q["sql"]]
    assert reads and not any("sealed_csv" in sql for sql in reads)


def _family(participant, user, seq):  # type: ignore[no-untyped-def]
    """A form record, its first version and an audit entry moving a scratch head row."""
    from psytrial.web.fastsql import Child

    record = FormRecord(participant=participant, instrument_id="craving", visit_id="m03",
                        occurrence=1, variant="", current_version=1)
    version = FormVersion(record=record, version=1, data={"value": 12.5, "note": "ü"},
                          saved_by=user, saved_at=AT, reason="")
    entry = AuditEntry(seq=seq, at=AT, actor="a", action="x", prev_hash="0", hash="1",
                       old={"values": {}}, new={"version": 1})
    move = ("UPDATE audit_chainhead SET seq = %s WHERE id = 1", [seq])
    return record, version, entry, (Child(version, parent="record"), Child(entry, then=move))


def test_insert_new_with_writes_the_family_once_as_the_orm_would(people) -> None:  # type: ignore[no-untyped-def]
    from psytrial.web.audit.models import ChainHead
    from psytrial.web.fastsql import insert_new_with

    ChainHead.objects.get_or_create(pk=1, defaults={"seq": 0, "hash": "0" * 64})
    participant = screen(people[Role.INVESTIGATOR], people.study, people.study.sites.get())
    user = people[Role.OUTCOME_RATER]
    record, version, entry, children = _family(participant, user, 700010)
    with CaptureQueriesContext(connection) as captured:
        assert insert_new_with(record, *children) is True
    # One round trip on PostgreSQL; the rows one by one (and the head's move) elsewhere.
    assert len(captured.captured_queries) == (1 if connection.vendor == "postgresql" else 4)
    assert None not in (record.pk, version.pk, entry.pk) and version.record_id == record.pk
    assert not (record._state.adding or version._state.adding or entry._state.adding)
    assert ChainHead.objects.get(pk=1).seq == 700010

    # The same rows as the ORM writes them (their twins, saved one by one).
    twin_record, twin_version, twin_entry, _ = _family(
        screen(people[Role.INVESTIGATOR], people.study, people.study.sites.get()), user, 800011)
    twin_record.save()
    twin_version.record = twin_record
    twin_version.save()
    twin_entry.save()
    _same_but_id(FormRecord.objects.get(pk=record.pk), FormRecord.objects.get(pk=twin_record.pk),
                 "participant")
    _same_but_id(FormVersion.objects.get(pk=version.pk),
                 FormVersion.objects.get(pk=twin_version.pk), "record")
    _same_but_id(AuditEntry.objects.get(pk=entry.pk), AuditEntry.objects.get(pk=twin_entry.pk),
                 "seq")

    # The record there already: nothing at all is written, the head does not move.
    again, again_version, again_entry, again_children = _family(participant, user, 700012)
    head_before = ChainHead.objects.get(pk=1).seq
    assert insert_new_with(again, *again_children) is False
    assert None is again.pk is again_version.pk is again_entry.pk
    assert FormVersion.objects.filter(record__participant=participant).count() == 1
    assert not AuditEntry.objects.filter(seq=700012).exists()
    assert ChainHead.objects.get(pk=1).seq == head_before


def test_insert_new_with_refuses_a_move_that_changes_no_row_and_a_wrong_parent(people) -> None:  # type: ignore[no-untyped-def]
    from psytrial.web.fastsql import Child, insert_new_with

    participant = screen(people[Role.INVESTIGATOR], people.study, people.study.sites.get())
    user = people[Role.OUTCOME_RATER]
    record, version, entry, _ = _family(participant, user, 700020)
    nowhere = ("UPDATE audit_chainhead SET seq = %s WHERE id = 987654", [1])
    with pytest.raises(RuntimeError, match="to change one row"), transaction.atomic():
        insert_new_with(record, Child(version, parent="record"), Child(entry, then=nowhere))
    assert not FormRecord.objects.filter(participant=participant).exists()
    assert not AuditEntry.objects.filter(seq=700020).exists()
    fresh, fresh_version, _, _ = _family(participant, user, 700021)
    with pytest.raises(ValueError, match="does not point at"):
        insert_new_with(fresh, Child(fresh_version, parent="saved_by"))
    assert fresh.pk is None and not FormRecord.objects.filter(participant=participant).exists()


def test_insert_with_several_moves_and_update_sql_as_the_orm(people) -> None:  # type: ignore[no-untyped-def]
    from psytrial.web.audit.models import ChainHead
    from psytrial.web.fastsql import update_sql
    from psytrial.web.trial.models import Participant

    ChainHead.objects.get_or_create(pk=1, defaults={"seq": 0, "hash": "0" * 64})
    site = people.study.sites.get()
    mine = screen(people[Role.INVESTIGATOR], people.study, site)
    twin = screen(people[Role.INVESTIGATOR], people.study, site)
    for p in (mine, twin):
        p.stratum, p.kit_code, p.randomized_at = "male", "KIT42", AT
    twin.save(update_fields=["stratum", "kit_code", "randomized_at"])
    with CaptureQueriesContext(connection) as captured:
        insert(AuditEntry(seq=700030, at=AT, actor="a", action="x", prev_hash="0", hash="1"),
               then=[update_sql(mine, "stratum", "kit_code", "randomized_at"),
                     ("UPDATE audit_chainhead SET seq = %s WHERE id = 1", [700030])])
    assert len(captured.captured_queries) == (1 if connection.vendor == "postgresql" else 3)
    _same_but_id(Participant.objects.get(pk=mine.pk), Participant.objects.get(pk=twin.pk), "code",
                 "screened_at")
    assert ChainHead.objects.get(pk=1).seq == 700030

    # A move that changes no row: an error, and the transaction takes everything back.
    gone = Participant(pk=987654, study=people.study, site=site, code="X")
    with pytest.raises(RuntimeError, match="to change one row, it changed 0"), (
        transaction.atomic()
    ):
        insert(AuditEntry(seq=700031, at=AT, actor="a", action="x", prev_hash="0", hash="1"),
               then=[("UPDATE audit_chainhead SET seq = %s WHERE id = 1", [700031]),
                     update_sql(gone, "stratum")])
    assert not AuditEntry.objects.filter(seq=700031).exists()
    assert ChainHead.objects.get(pk=1).seq == 700030


@pytest.mark.parametrize("instrument_id, visit_id", [
    ("baseline", "baseline"), ("craving", "baseline"), ("colour_test", "baseline"),
    ("eligibility", "screening"), ("adverse_event", ""),
])
def test_the_version_a_save_keeps_is_the_row_read_back(people, instrument_id, visit_id) -> None:  # type: ignore[no-untyped-def]
    """`FormRecord.latest` (the version just written, kept on the returned record) stands for
    the row: the same data as the database gives back, of every field type (lists, dates,
    booleans, numbers), so what reads it afterwards needs no query."""
    from psytrial.web.forms.actions import save_form
    from psytrial.web.forms.catalog import instrument
    from psytrial.web.forms.queries import current_data, current_version
    from tests.web.test_enrolment_support import valid_raw

    defn = instrument(people.study.protocol, instrument_id)
    participant = screen(people[Role.INVESTIGATOR], people.study, people.study.sites.get())
    user = next(people[r] for r in (Role.INVESTIGATOR, Role.OUTCOME_RATER, Role.SESSION_CLINICIAN,
                                    Role.PSYCHOTHERAPIST)
                if _may_enter(people[r], participant, defn))
    saved = save_form(user, participant, instrument_id, visit_id, valid_raw(defn))
    with CaptureQueriesContext(connection) as reading:
        kept = current_data(saved)
    assert reading.captured_queries == []
    fresh = FormRecord.objects.get(pk=saved.pk)
    assert kept == current_data(fresh) and type(kept) is dict
    assert model_to_dict(current_version(saved)) == model_to_dict(current_version(fresh))


def _may_enter(user, participant, defn) -> bool:  # type: ignore[no-untyped-def]
    from psytrial.web.forms.actions import entry_role
    from psytrial.web.permissions import ActionDenied

    try:
        entry_role(user, participant, defn)
    except ActionDenied:  # this role does not enter it: try the next
        return False
    return True
