"""The two-factor pages: the code asked after the password, setting up an authenticator, the
account's two-factor page (new recovery codes, turning it off for a therapist).
The rules and the writes are in ptclinic.two_factor."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from ptclinic import two_factor
from ptclinic.http import safe_path


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


def _next_field(request: HttpRequest) -> str:
    """The page the user asked for before the second step (a path on this site only), or ""."""
    return safe_path(request, request.POST.get("next") or request.GET.get("next") or "", "")


def _next(request: HttpRequest) -> str:
    """Where to go once the second step is done: the page the user asked for, else home."""
    return _next_field(request) or reverse("home")


@two_factor.two_factor_exempt
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The second step of a login: the authenticator's code, or a recovery code."""
    user: Any = request.user
    if user.is_verified():
        return redirect(_next(request))
    if not two_factor.has_two_factor(user):
        return redirect("two-factor-setup")
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        result = two_factor.second_step(request, user, form.cleaned_data["code"])
        if result.ok:
            if result.recovery_code_used:
                left = two_factor.recovery_codes_left(user)
                messages.warning(
                    request,
                    f"You signed in with a recovery code; {left} left. Each works once: make new "
                    "ones on your two-factor page if you are running low.",
                )
            return redirect(_next(request))
        if result.wait_until is not None:
            seconds = max(1, int((result.wait_until - timezone.now()).total_seconds() + 0.999))
            form.add_error(
                "code", f"Too many wrong codes. Wait {seconds} seconds, then try the newest one."
            )
            status = 429
        else:
            form.add_error(
                "code",
                "That code does not match. Type the 6 digits your authenticator app shows now "
                "(they change every 30 seconds), or one of your recovery codes.",
            )
            status = 400
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "registration/two_factor_verify.html",
        {"form": form, "next": _next_field(request)},
        status=status,
    )


@two_factor.two_factor_exempt
@require_http_methods(["GET", "POST"])
def setup(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan the QR code (or type the key), then type its first
    code. Shows the recovery codes once, when it is done."""
    user: Any = request.user
    if two_factor.has_two_factor(user) and not user.is_verified():
        # Replacing an authenticator needs the current one first.
        return redirect(reverse("two-factor-verify") + "?next=" + reverse("two-factor-setup"))
    device = two_factor.enrolment_device(user)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            codes = two_factor.enrolment_confirm(request, user, device, form.cleaned_data["code"])
            if codes:
                return render(
                    request,
                    "registration/two_factor_codes.html",
                    {"codes": codes, "next": _next_field(request), "first_time": True},
                )
            form.add_error(
                "code",
                "That code does not match. Check that the app shows ptclinic with your username, "
                "then type the 6 digits it shows now.",
            )
        status = 400
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "form": form,
            "qr_svg": two_factor.qr_svg(device),
            "secret": two_factor.secret_for_people(device),
            "required": two_factor.two_factor_required(user),
            "replacing": two_factor.has_two_factor(user),
            "next": _next_field(request),
        },
        status=status,
    )


@require_http_methods(["GET"])
def account(request: HttpRequest) -> HttpResponse:
    """The user's two-factor page: on or off, recovery codes left, what they can do."""
    user: Any = request.user
    return render(
        request,
        "registration/two_factor_account.html",
        {
            "enabled": two_factor.has_two_factor(user),
            "required": two_factor.two_factor_required(user),
            "codes_left": two_factor.recovery_codes_left(user),
        },
    )


@require_POST
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes (the old ones stop working), shown once."""
    user: Any = request.user
    if not two_factor.has_two_factor(user):
        messages.error(request, "Set up an authenticator app first.")
        return redirect("two-factor")
    codes = two_factor.recovery_codes_renew(user)
    return render(
        request, "registration/two_factor_codes.html", {"codes": codes, "first_time": False}
    )


@require_POST
def turn_off(request: HttpRequest) -> HttpResponse:
    """A therapist turns two-factor login off; whoever must use it cannot."""
    user: Any = request.user
    if two_factor.two_factor_required(user):
        messages.error(
            request,
            "Your role (owner, biller or admin) must sign in with two factors: it stays on. "
            "To use a new phone, set up the authenticator again.",
        )
        return redirect("two-factor")
    two_factor.two_factor_turn_off(request, user)
    messages.success(request, "Two-factor login is off. You can turn it on again here.")
    return redirect("two-factor")
