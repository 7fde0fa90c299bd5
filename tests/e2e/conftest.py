"""Browser tests: Playwright driving Debian's Chromium against the live test server.

With CI=true a browser that cannot start fails the run; elsewhere those tests are skipped with
the reason, so a laptop without Chromium can still run the rest of the suite.
"""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM calls in the test body
# are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# The flags this sandbox needs: no setuid sandbox as root, no GPU, and no background calls out
# to a network that is closed.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and the browser tests cannot run: {reason}")
    pytest.skip(f"browser tests skipped: {reason} (install Debian's chromium)")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not Path(CHROMIUM).exists():
        _unavailable(f"{CHROMIUM} not found")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    # A laptop screen.
    return {**browser_context_args, "viewport": {"width": 1366, "height": 800}}


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Iterator[Any]:
    """shot(page, "step") keeps a full-page screenshot in test-artifacts/<test>-<step>.png;
    full_page=False keeps what the window shows (where fixed and sticky parts are)."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page: Any, step: str, *, full_page: bool = True) -> Path:
        path = ARTIFACTS / f"{request.node.name}-{step}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    yield take


@pytest.fixture
def console(page: Any) -> list[str]:
    """Every console message and uncaught error of the page, as "type: text", in order."""
    messages: list[str] = []
    page.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: messages.append(f"pageerror: {error}"))
    return messages


def csp_violations(messages: list[str]) -> list[str]:
    return [m for m in messages if "Content Security Policy" in m or "unsafe-eval" in m]


@pytest.fixture
def demo(transactional_db: None, settings: Any) -> None:
    """The demo clinic as `make run` shows it: users, patients, sessions and claims."""
    from ptclinic import demo
    from tests.conftest import load_reference_data

    load_reference_data()
    demo.seed()


def authenticator_code(username: str) -> str:
    """The code `username`'s authenticator app shows now, as their phone would. The device
    forgets which code it took last, so that a test may sign in twice within 30 seconds."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ptclinic.two_factor import current_code

    device = TOTPDevice.objects.get(user__username=username, confirmed=True)
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    return current_code(device)


def login(page: Any, base_url: str, username: str, password: str) -> None:
    """Log in as a person does: the password, then, for someone with an authenticator, the
    code it shows (ptclinic/two_factor.py). Someone who must set one up is left on that page."""
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    if "/accounts/two-factor/code/" in page.url:
        page.get_by_label("Code").fill(authenticator_code(username))
        page.get_by_role("button", name="Continue").click()
        page.wait_for_load_state()
