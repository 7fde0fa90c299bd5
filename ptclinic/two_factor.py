"""Two-factor login (HIPAA §164.312(d), person authentication): a code from an authenticator
app (TOTP, RFC 6238) after the password, with single-use recovery codes for a lost phone.
Built on django-otp: its TOTP and static-token devices keep the secrets and throttle wrong
codes (each wrong code doubles the wait before the next is checked).

Who must use it: everyone who can approve and send claims or change a clinic's set-up, that is
owners / billers and admins of any clinic and the platform admin (Django staff). Therapists
may turn it on for themselves.

Once a user's password is accepted, `TwoFactorMiddleware` keeps them on the second step until
a code is given: the code page when they have an authenticator, the set-up page when they
must have one and do not yet.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode

from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect
from django_otp import DEVICE_ID_SESSION_KEY, verify_token
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ptclinic.models import Membership, Role
from ptclinic.roles import is_platform_admin

if TYPE_CHECKING:
    from django.contrib.auth.models import User

RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"
# The roles whose people must give a second factor: they approve, send and post claims, or
# change who may do so.
REQUIRED_ROLES = (Role.OWNER, Role.ADMIN)

_View = TypeVar("_View", bound=Callable[..., Any])


def two_factor_exempt(view: _View) -> _View:
    """Mark a view that a signed-in user reaches before giving the second factor (the code
    and set-up pages, log-out)."""
    view.two_factor_exempt = True  # type: ignore[attr-defined]  # a marker read by the middleware, as Django's login_not_required sets one
    return view


def two_factor_required(user: User, *, memberships: Sequence[Membership] | None = None) -> bool:
    """Whether `user` must sign in with a second factor: the platform admin, and an owner /
    biller or admin of any clinic (whichever clinic is active). `memberships`: the user's
    active memberships when the request has them already (no query)."""
    if is_platform_admin(user):
        return True
    if memberships is not None:
        return any(m.role in REQUIRED_ROLES for m in memberships)
    return Membership.objects.filter(user=user, active=True, role__in=REQUIRED_ROLES).exists()


def authenticator(user: User, *, confirmed: bool = True) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("-pk").first()


def recovery_device(user: User) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def has_two_factor(user: User) -> bool:
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())  # untyped package


def recovery_codes_left(user: User) -> int:
    return int(StaticToken.objects.filter(device__user=user, device__confirmed=True).count())


def format_recovery_code(token: str) -> str:
    """ "abcdefgh" as "abcd-efgh", easier to copy and to read out."""
    return f"{token[:4]}-{token[4:]}" if len(token) == 8 else token


def normalise_code(text: str) -> str:
    """What a person typed, as it is stored: no spaces or hyphens, lower case (recovery codes
    are lower-case base 32; an authenticator's code is digits)."""
    return "".join(ch for ch in text if not ch.isspace() and ch != "-").lower()


def is_authenticator_code(code: str) -> bool:
    return len(code) == 6 and code.isdigit()


# --- enrolment ---------------------------------------------------------------------------


def enrolment_device(user: User) -> TOTPDevice:
    """The authenticator being set up: the user's unconfirmed device, or a new one with a new
    secret. Reloading the set-up page keeps the same secret (the QR code a phone has scanned
    stays valid); a confirmed device is never touched here."""
    device = authenticator(user, confirmed=False)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


@transaction.atomic
def enrolment_confirm(request: HttpRequest, user: User, device: TOTPDevice, code: str) -> list[str]:
    """Turn two-factor login on with the first code the app shows. Returns the new recovery
    codes (shown once); [] when the code does not match (nothing changes but the throttle)."""
    code = normalise_code(code)
    if not is_authenticator_code(code) or not device.verify_token(code):
        return []
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    # One authenticator per person: setting up a new phone replaces the old one.
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    codes = recovery_codes_renew(user)
    otp_login(request, device)
    return codes


@transaction.atomic
def recovery_codes_renew(user: User) -> list[str]:
    """New recovery codes; the old ones stop working."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    tokens = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=t) for t in tokens)
    return [format_recovery_code(t) for t in tokens]


@transaction.atomic
def two_factor_turn_off(request: HttpRequest, user: User) -> None:
    """A therapist turns two-factor login off (never someone who must use it)."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    request.session.pop(DEVICE_ID_SESSION_KEY, None)


def authenticator_ensure(user: User, key_hex: str) -> TOTPDevice:
    """Give `user` a confirmed authenticator with this secret (the demo's published one),
    keeping the recovery codes they have. Idempotent."""
    device = authenticator(user)
    if device is not None and device.key == key_hex:
        return device
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(
            user=user, name=AUTHENTICATOR_NAME, key=key_hex, confirmed=True
        )
    return device


def current_code(device: TOTPDevice) -> str:
    """The code the device's app shows now (the demo's `manage.py demo_code`)."""
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


@transaction.atomic
def two_factor_reset(users: list[User]) -> int:
    """An admin resets the two-factor login of people who lost their phone and their recovery
    codes: their authenticators and codes go; whoever must use two factors sets it up again at
    their next login (a session verified with the old device is no longer verified)."""
    ids = [u.pk for u in users]
    TOTPDevice.objects.filter(user_id__in=ids).delete()
    StaticDevice.objects.filter(user_id__in=ids).delete()
    return len(ids)


# --- the second step of a login ----------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    ok: bool
    recovery_code_used: bool = False
    wait_until: dt.datetime | None = None  # too many wrong codes: none is checked before this


def second_step(request: HttpRequest, user: User, typed: str) -> Verification:
    """Check a code from the authenticator, or a recovery code (used up once it works), and
    mark the session verified when one matches."""
    code = normalise_code(typed)
    device: TOTPDevice | StaticDevice | None = (
        authenticator(user) if is_authenticator_code(code) else recovery_device(user)
    )
    if device is None:
        return Verification(ok=False)
    allowed, data = device.verify_is_allowed()
    if not allowed:
        return Verification(ok=False, wait_until=(data or {}).get("locked_until"))
    verified = verify_token(user, device.persistent_id, code)
    if verified is None:
        return Verification(ok=False)
    otp_login(request, verified)
    return Verification(ok=True, recovery_code_used=isinstance(verified, StaticDevice))


# --- setting it up in an app ---------------------------------------------------------------


def secret_for_people(device: TOTPDevice) -> str:
    """The secret as an authenticator app takes it typed in: base 32 in groups of four."""
    from base64 import b32encode

    text = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// address as an inline SVG QR code (no image request, no
    third-party service: the secret never leaves the page)."""
    import qrcode
    from qrcode.image.svg import SvgPathImage

    image = qrcode.make(device.config_url, image_factory=SvgPathImage, box_size=8, border=2)
    out = io.BytesIO()
    image.save(out)
    svg = out.getvalue().decode("utf-8")
    return svg[svg.index("<svg") :]  # without the XML declaration, for inline HTML


# --- the gate ------------------------------------------------------------------------------


def _second_step_url(request: HttpRequest, name: str) -> str:
    url = reverse(name)
    path = request.get_full_path()
    if path and path != "/":
        url += "?" + urlencode({"next": path})
    return url


class TwoFactorMiddleware:
    """Holds a signed-in user who has not given the second factor on its pages. Listed after
    django-otp's OTPMiddleware (which reads the verified device from the session).

    The user is sent to the code page when they have an authenticator, to the set-up page
    when their role needs one and they have none; a therapist without one goes on. An htmx
    request is told to load that page whole (HX-Redirect) instead of swapping it into a
    panel."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        user: Any = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        if has_two_factor(user):
            step = "two-factor-verify"
        elif two_factor_required(user, memberships=getattr(request, "memberships", None)):
            step = "two-factor-setup"
        else:
            return None
        # The pages of the second step show no navigation: nothing else opens before it.
        request.two_factor_pending = True  # type: ignore[attr-defined]  # read by base.html
        if getattr(view, "two_factor_exempt", False) or not getattr(view, "login_required", True):
            return None
        target = _second_step_url(request, step)
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(target)
        return HttpResponseRedirect(target)
