"""Two-factor login in the browser: an owner sets up an authenticator on first login, keeps the
recovery codes, and signs in with the password and a code from then on."""

from base64 import b32decode
from typing import Any

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import Page, expect

from ptclinic.demo import DEMO_CLINIC, DEMO_PASSWORD
from ptclinic.models import Clinic, Role
from tests.conftest import PASSWORD, make_member
from tests.e2e.conftest import authenticator_code, login

pytestmark = pytest.mark.e2e


def phone_code(key_text: str) -> str:
    """What an authenticator app shows for the key as the set-up page prints it."""
    key = b32decode(key_text.replace(" ", "") + "=" * (-len(key_text.replace(" ", "")) % 8))
    return f"{TOTP(key).token():06d}"


def test_an_owner_sets_up_an_authenticator_on_first_login_then_signs_in_with_its_code(
    page: Page, live_server: Any, demo: None, shot: Any
) -> None:
    owner = make_member(
        Clinic.objects.get(name=DEMO_CLINIC), Role.OWNER, first_name="Nina", last_name="New"
    )
    login(page, live_server.url, owner.username, PASSWORD)
    expect(page.get_by_role("heading", name="Set up two-factor login")).to_be_visible()
    expect(page.get_by_role("img", name="QR image with your two-factor key")).to_be_visible()
    shot(page, "setup")

    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Turn on two-factor login").click()
    expect(page.get_by_text("That code does not match")).to_be_visible()

    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user=owner).update(throttling_failure_count=0)
    key = page.locator("#two-factor-key").inner_text()
    page.get_by_label("Code").fill(phone_code(key))
    page.get_by_role("button", name="Turn on two-factor login").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.get_by_role("list", name="Recovery codes").get_by_role("listitem")).to_have_count(
        10
    )
    shot(page, "recovery-codes")
    page.get_by_role("link", name="I have kept them: continue").click()
    expect(page.get_by_test_id("owner-home")).to_be_visible()

    # Next time: the password, then the code page.
    page.get_by_role("button", name="Nina New").click()
    page.get_by_role("button", name="Log out").click()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(owner.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Your two-factor code")).to_be_visible()
    shot(page, "code")
    page.get_by_label("Code").fill(authenticator_code(owner.username))
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("owner-home")).to_be_visible()


def test_the_demo_owner_signs_in_with_the_demo_authenticator(
    page: Page, live_server: Any, demo: None
) -> None:
    login(page, live_server.url, "demo-owner", DEMO_PASSWORD)
    expect(page.get_by_test_id("owner-home")).to_be_visible()


def test_a_therapist_turns_two_factor_login_on_from_the_account_menu(
    page: Page, live_server: Any, demo: None
) -> None:
    login(page, live_server.url, "demo-pt", DEMO_PASSWORD)
    page.get_by_role("button", name="Dana Reyes").click()
    page.get_by_role("link", name="Two-factor login").click()
    expect(page.get_by_text("You sign in with your password only.")).to_be_visible()
    page.get_by_role("link", name="Set up two-factor login").click()
    page.get_by_label("Code").fill(phone_code(page.locator("#two-factor-key").inner_text()))
    page.get_by_role("button", name="Turn on two-factor login").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    page.get_by_role("link", name="Two-factor settings").click()
    expect(page.get_by_text("Recovery codes left: 10")).to_be_visible()
    page.get_by_role("button", name="Turn two-factor login off").click()
    expect(page.get_by_text("Two-factor login is off.")).to_be_visible()
