from typing import Any

import pytest
from playwright.sync_api import Page, expect

from ptclinic.demo import DEMO_PASSWORD
from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e


def test_demo_therapist_logs_in_and_sees_the_therapist_home(
    page: Page, live_server: Any, demo: None, shot: Any
) -> None:
    page.goto(live_server.url)
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/")
    login(page, live_server.url, "demo-pt", DEMO_PASSWORD)

    expect(page.get_by_role("heading", name="Welcome, Dana Reyes")).to_be_visible()
    expect(page.get_by_test_id("therapist-home")).to_be_visible()
    expect(page.get_by_test_id("owner-home")).to_have_count(0)
    shot(page, "home")


def test_a_wrong_password_is_refused_with_a_message(
    page: Page, live_server: Any, demo: None
) -> None:
    login(page, live_server.url, "demo-pt", "not-the-password")
    expect(page.get_by_text("Please enter a correct username and password")).to_be_visible()
