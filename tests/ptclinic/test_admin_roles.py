"""Two kinds of admin: the platform admin keeps what every clinic shares; a clinic's admin keeps
only that clinic's settings, charges, own payers, users and patient records."""

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from claims.patient_forms import PatientForm
from coding.models import ChargeMasterEntry, EditPair, Payer
from ptclinic.admin_access import PLATFORM_APPS, READ_ONLY_APPS
from ptclinic.models import Clinic, Membership, Role
from tests.conftest import make_clinic, make_member, make_payer

pytestmark = pytest.mark.usefixtures("reference")

User = get_user_model()


@pytest.fixture
def other_admin_clinic(db: None) -> Clinic:
    return make_clinic(name="Other Clinic")


def _change(model: Any, obj: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk])


def _changelist(model: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def test_a_clinic_admin_reads_the_shared_code_tables_but_cannot_change_them(
    client_for: Any, clinic_admin: Any, code_admin: Any
) -> None:
    pair = EditPair.objects.first()
    assert pair is not None
    ours = client_for(clinic_admin)
    assert ours.get(_changelist(EditPair)).status_code == 200
    page = ours.get(_change(EditPair, pair))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert ours.post(_change(EditPair, pair), {"rationale": "mine"}).status_code == 403
    assert ours.get(reverse("admin:coding_editpair_add")).status_code == 403
    assert ours.get(reverse("admin:coding_editpair_import")).status_code == 403
    pair.refresh_from_db()
    assert pair.rationale != "mine"
    # The platform admin changes it.
    page = client_for(code_admin).get(_change(EditPair, pair))
    assert 'name="_save"' in page.content.decode()


def test_loading_cms_files_is_the_platform_admins(
    client_for: Any, clinic_admin: Any, code_admin: Any
) -> None:
    url = reverse("admin:coding_importrecord_load")
    assert client_for(clinic_admin).get(url).status_code == 403
    assert client_for(code_admin).get(url).status_code == 200


def test_a_clinic_admin_keeps_only_their_clinics_charges(
    client_for: Any, clinic: Clinic, clinic_admin: Any, other_admin_clinic: Clinic
) -> None:
    ours = client_for(clinic_admin)
    theirs = ChargeMasterEntry.objects.filter(clinic=other_admin_clinic).first()
    mine = ChargeMasterEntry.objects.filter(clinic=clinic).first()
    assert theirs is not None and mine is not None
    listed = ours.get(_changelist(ChargeMasterEntry), {"q": mine.billing_code_id})
    assert listed.status_code == 200
    assert (
        listed.context["cl"].result_count
        == ChargeMasterEntry.objects.filter(clinic=clinic, billing_code=mine.billing_code).count()
    )
    assert ours.get(_change(ChargeMasterEntry, mine)).status_code == 200
    # Another clinic's entry is not found (the admin sends them back to the list).
    assert ours.get(_change(ChargeMasterEntry, theirs)).status_code == 302
    history = reverse("admin:coding_chargemasterentry_history", args=[theirs.pk])
    assert ours.get(history).status_code == 404
    # The clinic to choose on a new entry is theirs only.
    form = ours.get(reverse("admin:coding_chargemasterentry_add")).context["adminform"].form
    assert list(form.fields["clinic"].queryset) == [clinic]


def test_a_clinic_admin_adds_a_payer_only_their_clinic_sees(
    client_for: Any, clinic: Clinic, clinic_admin: Any, other_admin_clinic: Clinic
) -> None:
    ours = client_for(clinic_admin)
    add = ours.get(reverse("admin:coding_payer_add"))
    form = add.context["adminform"].form
    assert list(form.fields["clinic"].queryset) == [clinic] and form.fields["clinic"].required
    data = {
        "name": "Valley Local Health Plan",
        "kind": "commercial",
        "clinic": clinic.pk,
        "rules-TOTAL_FORMS": "0",
        "rules-INITIAL_FORMS": "0",
        "rules-MIN_NUM_FORMS": "0",
        "rules-MAX_NUM_FORMS": "1000",
    }
    response = ours.post(reverse("admin:coding_payer_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    payer = Payer.objects.get(name="Valley Local Health Plan")
    assert payer.clinic == clinic

    def choices(for_clinic: Clinic) -> set[str]:
        return {p.name for p in PatientForm(clinic=for_clinic).fields["primary_payer"].queryset}

    assert "Valley Local Health Plan" in choices(clinic)
    assert "Valley Local Health Plan" not in choices(other_admin_clinic)
    assert "Medicare Part B" in choices(clinic) & choices(other_admin_clinic)
    # A shared payer is read-only to them; their own they may change.
    shared = Payer.objects.get(name="Medicare Part B")
    assert ours.post(_change(Payer, shared), {**data, "name": "Mine"}).status_code == 403
    assert 'name="_save"' in ours.get(_change(Payer, payer)).content.decode()


def test_another_clinics_payer_is_invisible_to_a_clinic_admin(
    client_for: Any, clinic_admin: Any, other_admin_clinic: Clinic
) -> None:
    theirs = make_payer("Far Away Plan")
    Payer.objects.filter(pk=theirs.pk).update(clinic=other_admin_clinic)
    ours = client_for(clinic_admin)
    listed = ours.get(_changelist(Payer), {"q": "Far Away"})
    assert listed.context["cl"].result_count == 0
    assert ours.get(_change(Payer, theirs)).status_code == 302


def test_a_clinic_payer_cannot_take_a_shared_payers_name(clinic: Clinic) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="already has a payer of this name"):
        Payer(name="medicare part b", kind="commercial", clinic=clinic).full_clean()


def test_a_clinic_admin_keeps_their_clinics_users_and_no_one_elses(
    client_for: Any, clinic: Clinic, clinic_admin: Any, pt: Any, other_admin_clinic: Clinic
) -> None:
    elsewhere = make_member(other_admin_clinic, Role.THERAPIST, first_name="Eve")
    shared = make_member(other_admin_clinic, Role.OWNER, first_name="Sol")
    Membership.objects.create(user=shared, clinic=clinic, role=Role.OWNER)
    ours = client_for(clinic_admin)
    listed = ours.get(_changelist(User))
    names = {u.username for u in listed.context["cl"].result_list}
    assert pt.username in names and shared.username in names
    assert elsewhere.username not in names
    # Only-ours: a change page without the staff and permission fields.
    page = ours.get(_change(User, pt)).content.decode()
    assert 'name="first_name"' in page and 'name="is_staff"' not in page
    assert 'name="is_superuser"' not in page
    # A user who works in another clinic too is read-only here: a new password set here
    # would let this admin into that clinic.
    password = reverse("admin:auth_user_password_change", args=[shared.pk])
    assert ours.get(password).status_code == 403
    assert ours.post(_change(User, shared), {"first_name": "X"}).status_code == 403
    assert ours.get(reverse("admin:auth_user_delete", args=[pt.pk])).status_code == 403


def test_a_clinic_admin_changes_their_clinic_but_adds_and_deletes_none(
    client_for: Any, clinic: Clinic, clinic_admin: Any, other_admin_clinic: Clinic
) -> None:
    ours = client_for(clinic_admin)
    assert 'name="_save"' in ours.get(_change(Clinic, clinic)).content.decode()
    assert ours.get(_change(Clinic, other_admin_clinic)).status_code == 302
    assert ours.get(reverse("admin:ptclinic_clinic_add")).status_code == 403
    assert ours.get(reverse("admin:ptclinic_clinic_delete", args=[clinic.pk])).status_code == 403


@pytest.mark.parametrize("role", ["therapist", "owner", "clinic_admin", "platform_admin"])
def test_the_admin_walked_as_each_role(
    role: str, client_for: Any, pt: Any, owner: Any, clinic_admin: Any, code_admin: Any
) -> None:
    """Every model's list in the admin, as each role: therapists and owners get a 403; a clinic
    admin reads the shared tables and keeps their clinic's; the platform admin sees all."""
    user = {"therapist": pt, "owner": owner, "clinic_admin": clinic_admin}.get(role, code_admin)
    client: Client = client_for(user)
    platform_only = {"coding_importrecord"} | {
        f"{m._meta.app_label}_{m._meta.model_name}"
        for m in admin.site._registry
        if m._meta.app_label in PLATFORM_APPS
    }
    index = client.get(reverse("admin:index"))
    assert index.status_code == (403 if role in {"therapist", "owner"} else 200)
    for model, model_admin in admin.site._registry.items():
        label = f"{model._meta.app_label}_{model._meta.model_name}"
        status = client.get(_changelist(model)).status_code
        if role in {"therapist", "owner"}:
            assert status == 403, label
        elif role == "platform_admin":
            assert status == 200, label
            if model._meta.app_label in READ_ONLY_APPS:  # the job queue's rows (PostgreSQL)
                request = index.wsgi_request
                assert not model_admin.has_delete_permission(request), label
                assert not model_admin.has_change_permission(request), label
        else:
            assert status == (403 if label in platform_only else 200), label
            request = index.wsgi_request
            if model_admin.has_add_permission(request):
                # What a clinic admin may add is their clinic's.
                assert label in {
                    "coding_chargemasterentry",
                    "coding_payer",
                    "coding_payerrule",
                    "claims_authorization",
                    "claims_therapyamountused",
                    "ptclinic_membership",
                    "auth_user",
                }, label
