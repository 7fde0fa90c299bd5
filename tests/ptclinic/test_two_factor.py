"""Two-factor login (ptclinic/two_factor.py): who must give a code, setting up an
authenticator, the code step, recovery codes, throttling, and the demo's published key."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ptclinic import two_factor
from ptclinic.models import Role
from tests.conftest import PASSWORD, make_member, make_user, sign_in

HTMX = {"HTTP_HX_REQUEST": "true"}


def password_only(user: Any) -> Client:
    """A client past the password step only (as right after the login form)."""
    client = Client()
    client.force_login(user)
    return client


def code_now(user: Any) -> str:
    device = TOTPDevice.objects.get(user=user)
    return two_factor.current_code(device)


def enrolled(user: Any) -> TOTPDevice:
    device = TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    two_factor.recovery_codes_renew(user)
    return device


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_an_owner_or_admin_without_an_authenticator_must_set_one_up_before_any_page(
    clinic: Any, role: str
) -> None:
    client = password_only(make_member(clinic, role))
    page = client.get(reverse("review-queue"))
    assert page.status_code == 302
    assert page["Location"] == reverse("two-factor-setup") + "?next=%2Freview%2F"
    # An htmx panel is told to load the page whole, not to swap it in.
    panel = client.get(reverse("review-queue"), **HTMX)
    assert panel["HX-Redirect"].startswith(reverse("two-factor-setup"))


@pytest.mark.django_db
def test_the_platform_admin_must_set_one_up_too_and_the_admin_is_held_back(db: None) -> None:
    staff = make_user(is_staff=True)
    page = password_only(staff).get("/admin/")
    assert page.status_code == 302
    assert page["Location"].startswith(reverse("two-factor-setup"))


@pytest.mark.django_db
def test_a_role_in_another_clinic_counts_as_well(clinic: Any, other_clinic: Any) -> None:
    therapist = make_member(clinic, Role.THERAPIST)
    make_member(other_clinic, Role.OWNER, user=therapist)
    assert two_factor.two_factor_required(therapist)


@pytest.mark.django_db
def test_a_therapist_without_one_signs_in_with_the_password_only(pt: Any) -> None:
    page = password_only(pt).get(reverse("session-list"))
    assert page.status_code == 200
    assert not two_factor.two_factor_required(pt)


@pytest.mark.django_db
def test_setting_up_shows_a_qr_code_and_key_and_the_first_code_turns_it_on(owner: Any) -> None:
    client = password_only(owner)
    page = client.get(reverse("two-factor-setup"), {"next": "/review/"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in html and "<?xml" not in html
    device = TOTPDevice.objects.get(user=owner, confirmed=False)
    assert two_factor.secret_for_people(device) in html
    # Reloading keeps the same secret: the phone that scanned it stays right.
    client.get(reverse("two-factor-setup"))
    assert TOTPDevice.objects.get(user=owner).key == device.key

    wrong = client.post(reverse("two-factor-setup"), {"code": "000000", "next": "/review/"})
    assert wrong.status_code == 400
    assert "does not match" in wrong.content.decode()
    assert not two_factor.has_two_factor(owner)

    device.refresh_from_db()
    device.throttle_reset()
    done = client.post(reverse("two-factor-setup"), {"code": code_now(owner), "next": "/review/"})
    codes = re.findall(r"<li class=\"col\">([a-z2-7]{4}-[a-z2-7]{4})</li>", done.content.decode())
    assert len(codes) == two_factor.RECOVERY_CODE_COUNT
    assert "only time they are shown" in done.content.decode()
    assert two_factor.has_two_factor(owner)
    assert client.get(reverse("review-queue")).status_code == 200


@pytest.mark.django_db
def test_a_user_with_an_authenticator_gives_its_code_after_the_password(owner: Any) -> None:
    enrolled(owner)
    client = Client()
    login = client.post(reverse("login"), {"username": owner.username, "password": PASSWORD})
    assert login.status_code == 302
    page = client.get(reverse("review-queue"))
    assert page["Location"] == reverse("two-factor-verify") + "?next=%2Freview%2F"
    # The code page offers nothing that the second step holds back: no menu, no notices.
    code_page = client.get(page["Location"]).content.decode()
    assert 'aria-label="Main"' in code_page and "Review queue" not in code_page
    assert 'id="main-nav"' not in code_page

    wrong = client.post(reverse("two-factor-verify"), {"code": "12345x"})
    assert wrong.status_code == 400
    assert "does not match" in wrong.content.decode()

    TOTPDevice.objects.filter(user=owner).update(throttling_failure_count=0)
    ok = client.post(reverse("two-factor-verify"), {"code": code_now(owner), "next": "/review/"})
    assert ok.status_code == 302 and ok["Location"] == "/review/"
    queue = client.get(reverse("review-queue"))
    assert queue.status_code == 200 and 'id="main-nav"' in queue.content.decode()


@pytest.mark.django_db
def test_a_code_once_used_does_not_sign_in_a_second_time(owner: Any) -> None:
    enrolled(owner)
    code = code_now(owner)
    first = password_only(owner).post(reverse("two-factor-verify"), {"code": code})
    assert first.status_code == 302
    again = password_only(owner).post(reverse("two-factor-verify"), {"code": code})
    assert again.status_code == 400


@pytest.mark.django_db
def test_wrong_codes_make_the_next_try_wait(owner: Any) -> None:
    enrolled(owner)
    client = password_only(owner)
    client.post(reverse("two-factor-verify"), {"code": "000000"})
    waiting = client.post(reverse("two-factor-verify"), {"code": code_now(owner)})
    assert waiting.status_code == 429
    assert "Too many wrong codes. Wait" in waiting.content.decode()
    assert client.get(reverse("review-queue")).status_code == 302  # still not signed in


@pytest.mark.django_db
def test_a_recovery_code_signs_in_once_and_says_how_many_are_left(owner: Any) -> None:
    enrolled(owner)
    codes = two_factor.recovery_codes_renew(owner)
    client = password_only(owner)
    used = client.post(reverse("two-factor-verify"), {"code": codes[0].upper()}, follow=True)
    assert used.status_code == 200
    assert f"{two_factor.RECOVERY_CODE_COUNT - 1} left" in used.content.decode()
    again = password_only(owner).post(reverse("two-factor-verify"), {"code": codes[0]})
    assert again.status_code == 400


@pytest.mark.django_db
def test_new_recovery_codes_replace_the_old_ones(owner: Any) -> None:
    enrolled(owner)
    old = set(StaticToken.objects.filter(device__user=owner).values_list("token", flat=True))
    client = sign_in(Client(), owner)
    page = client.post(reverse("two-factor-recovery-codes"))
    new = set(StaticToken.objects.filter(device__user=owner).values_list("token", flat=True))
    assert len(new) == two_factor.RECOVERY_CODE_COUNT and not old & new
    assert all(two_factor.format_recovery_code(t) in page.content.decode() for t in new)


@pytest.mark.django_db
def test_a_therapist_may_turn_it_on_and_off_an_owner_may_not_turn_it_off(
    pt: Any, owner: Any
) -> None:
    therapist = password_only(pt)
    assert "Set up two-factor login" in therapist.get(reverse("two-factor")).content.decode()
    therapist.get(reverse("two-factor-setup"))
    therapist.post(reverse("two-factor-setup"), {"code": code_now(pt)})
    assert two_factor.has_two_factor(pt)
    therapist.post(reverse("two-factor-turn-off"))
    assert not two_factor.has_two_factor(pt)
    assert not StaticToken.objects.filter(device__user=pt).exists()

    boss = sign_in(Client(), owner)
    refused = boss.post(reverse("two-factor-turn-off"), follow=True)
    assert "cannot be turned off" in refused.content.decode() or "stays on" in (
        refused.content.decode()
    )
    assert two_factor.has_two_factor(owner)


@pytest.mark.django_db
def test_replacing_the_authenticator_needs_the_current_one_first(owner: Any) -> None:
    enrolled(owner)
    page = password_only(owner).get(reverse("two-factor-setup"))
    assert page["Location"].startswith(reverse("two-factor-verify"))


@pytest.mark.django_db
def test_the_code_page_never_sends_the_user_to_another_site(owner: Any) -> None:
    enrolled(owner)
    page = password_only(owner).post(
        reverse("two-factor-verify"), {"code": code_now(owner), "next": "//evil.example/"}
    )
    assert page["Location"] == reverse("home")


@pytest.mark.django_db
def test_log_out_works_from_the_code_page(owner: Any) -> None:
    enrolled(owner)
    client = password_only(owner)
    client.post(reverse("logout"))
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_demo_owner_has_the_published_authenticator_and_demo_code_prints_its_code(
    settings: Any, capsys: Any
) -> None:
    from ptclinic import demo
    from tests.conftest import load_reference_data

    load_reference_data()
    demo.seed()
    owner = TOTPDevice.objects.get(user__username="demo-owner")
    assert owner.key == demo.DEMO_TOTP_KEY and owner.confirmed
    assert not TOTPDevice.objects.filter(user__username="demo-pt").exists()

    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("demo_code")
    settings.DEBUG = True
    call_command("demo_code")
    out = capsys.readouterr().out
    code = re.search(r"demo-owner\s+(\d{6})", out)
    assert code is not None
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username="demo-owner")
    answer = password_only(user).post(reverse("two-factor-verify"), {"code": code.group(1)})
    assert answer.status_code == 302


@pytest.mark.django_db
def test_every_page_but_the_second_steps_holds_back_an_owner_who_gave_no_code(
    owner: Any,
) -> None:
    from tests.ptclinic.test_access import ALL_URLS, PUBLIC

    client = password_only(owner)
    exempt = PUBLIC | {"logout", "two-factor-verify", "two-factor-setup"}
    walked = 0
    for name, url in ALL_URLS:
        if name in exempt or name == "admin:login":
            continue
        walked += 1
        response = client.get(url)
        assert response.status_code == 302, f"{name} ({url}) answered {response.status_code}"
        assert response["Location"].startswith(reverse("two-factor-setup")), name
    assert walked > 100
    assert client.get(reverse("two-factor-setup")).status_code == 200


def test_an_admin_resets_the_two_factor_login_of_their_clinics_users_only(
    client_for: Any, clinic: Any, clinic_admin: Any, owner: Any, other_clinic: Any
) -> None:
    from django.contrib.auth import get_user_model

    elsewhere = make_member(other_clinic, Role.OWNER, first_name="Eve")
    for user in (owner, elsewhere):
        enrolled(user)
    admin = client_for(clinic_admin)
    users = reverse("admin:auth_user_changelist")
    listed = admin.get(users).content.decode()
    assert "Two-factor" in listed
    response = admin.post(
        users,
        {"action": "reset_two_factor", "_selected_action": [owner.pk, elsewhere.pk]},
        follow=True,
    )
    assert "Two-factor login reset for 1 user(s)" in response.content.decode()
    # Theirs is gone (the owner sets it up again at the next login); the other clinic's stays.
    assert not TOTPDevice.objects.filter(user=owner).exists()
    assert not StaticToken.objects.filter(device__user=owner).exists()
    assert TOTPDevice.objects.filter(user=elsewhere).exists()
    assert get_user_model().objects.get(pk=owner.pk).is_active
    assert password_only(owner).get(reverse("home"))["Location"] == reverse("two-factor-setup")


@pytest.mark.django_db
def test_the_admin_never_shows_anyones_authenticator_key(code_admin: Any) -> None:
    from django.contrib import admin as django_admin

    assert not [m for m in django_admin.site._registry if m._meta.app_label.startswith("otp_")]
    index = sign_in(Client(), code_admin).get(reverse("admin:index")).content.decode()
    assert "TOTP" not in index and "otp_totp" not in index
