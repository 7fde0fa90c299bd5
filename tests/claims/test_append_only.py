"""The access log, the claims' status moves and the kept histories take new rows only: the
application refuses to change or delete one, and on PostgreSQL so does the database."""

from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from claims.models import AccessEvent, AccessKind, Claim, ClaimEvent, ClaimLine, Patient
from claims.services import access_record
from ptclinic.append_only import AppendOnlyError
from tests.claims.test_review import make_claim

pytestmark = pytest.mark.usefixtures("reference")


@pytest.fixture
def audited(clinic: Any, pt: Any, owner: Any) -> Claim:
    claim = make_claim(clinic, pt)
    access_record(
        clinic=clinic,
        user=owner,
        patient=claim.patient,
        kind=AccessKind.CLAIM,
        object_id=claim.pk,
        path="/claims/1/",
    )
    ClaimEvent.objects.create(claim=claim, to_status=claim.status, user=owner, note="made")
    return claim


def _history_rows(claim: Claim) -> list[Any]:
    return [
        claim.history.first(),
        ClaimLine.history.filter(claim_id=claim.pk).first(),
        Patient.history.filter(id=claim.patient_id).first(),
    ]


def test_the_application_cannot_change_or_delete_an_access_row(audited: Claim) -> None:
    event = AccessEvent.objects.get()
    with pytest.raises(AppendOnlyError, match="only ever added"):
        AccessEvent.objects.filter(pk=event.pk).update(path="/elsewhere/")
    with pytest.raises(AppendOnlyError):
        AccessEvent.objects.filter(pk=event.pk).delete()
    event.path = "/elsewhere/"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert AccessEvent.objects.get().path == "/claims/1/"


def test_the_application_cannot_change_or_delete_a_claim_event(audited: Claim) -> None:
    event = ClaimEvent.objects.get(note="made")
    with pytest.raises(AppendOnlyError):
        ClaimEvent.objects.filter(pk=event.pk).update(note="rewritten")
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert ClaimEvent.objects.filter(note="made").count() == 1


def test_the_application_cannot_change_or_delete_kept_history(audited: Claim) -> None:
    for row in _history_rows(audited):
        model = type(row)
        with pytest.raises(AppendOnlyError):
            model.objects.filter(pk=row.pk).update(history_change_reason="rewritten")
        with pytest.raises(AppendOnlyError):
            model.objects.filter(pk=row.pk).delete()
        with pytest.raises(AppendOnlyError):
            row.delete()
        row.history_change_reason = "rewritten"
        with pytest.raises(AppendOnlyError):
            row.save()


def test_kept_history_still_grows_with_each_change(audited: Claim) -> None:
    before = audited.history.count()
    audited.return_comment = "Check the units"
    audited.save()
    assert audited.history.count() == before + 1


@pytest.mark.postgres(reason="the trigger is PostgreSQL's")
def test_on_postgresql_the_database_refuses_raw_updates_and_deletes(audited: Claim) -> None:
    tables = [
        (AccessEvent._meta.db_table, "path = 'x'"),
        (ClaimEvent._meta.db_table, "note = 'x'"),
        *(
            (type(row)._meta.db_table, "history_change_reason = 'x'")
            for row in _history_rows(audited)
        ),
    ]
    for table, change in tables:
        for sql in (f"UPDATE {table} SET {change}", f"DELETE FROM {table}"):
            with (
                pytest.raises(DatabaseError, match="only ever added"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(sql)
    assert AccessEvent.objects.count() == 1
