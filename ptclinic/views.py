from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, login_required
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection
from django.db.models import Max
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
)
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from claims.dashboard.pages import owner_dashboard, therapist_home
from claims.facts import ReferenceFacts, charge_table, fee_table
from claims.submission.collect import setup_problems
from coding.models import Gpci
from ptclinic.forms import ChargeForm, ClinicBillingForm, ClinicSettingsForm
from ptclinic.http import HtmxHttpRequest, safe_next
from ptclinic.middleware import ACTIVE_CLINIC_SESSION_KEY
from ptclinic.models import Clinic, Role
from ptclinic.roles import active_clinic, role_required
from ptclinic.services import charge_set, clinic_update_billing, clinic_update_settings


@login_not_required
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """For the load balancer: the process answers. Touches no database (no session cookie, no
    user lookup), so it stays cheap at any request rate; it is also the load test's ceiling."""
    return HttpResponse("ok", content_type="text/plain")


@login_not_required
@require_GET
def readyz(request: HttpRequest) -> HttpResponse:
    """For the load balancer's readiness check: 200 when this host can reach its database,
    503 when it cannot (take it out of rotation; `/healthz/` says only that it is alive)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return HttpResponse(
            "not ready: the database cannot be reached", status=503, content_type="text/plain"
        )
    return HttpResponse("ready", content_type="text/plain")


@login_not_required
@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page says: send them to the icon."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))


@login_required
@require_GET
def home(request: HtmxHttpRequest) -> HttpResponse:
    """One page per role; a user with several roles in the clinic sees each role's panel."""
    context: dict[str, object] = {}
    if Role.OWNER in request.roles:
        context.update(owner_dashboard(request=request))
    if Role.THERAPIST in request.roles:
        context.update(therapist_home(request=request))
    return render(request, "ptclinic/home.html", context)


@login_required
@require_POST
def clinic_switch(request: HtmxHttpRequest) -> HttpResponse:
    try:
        clinic_id = int(request.POST.get("clinic", ""))
    except ValueError:
        return HttpResponseBadRequest("Choose a clinic.")
    clinic = next((c for c in request.clinics if c.pk == clinic_id), None)
    if clinic is None:
        # Not a member: the same answer as a clinic that does not exist.
        return HttpResponseBadRequest("You are not a member of that clinic.")
    request.session[ACTIVE_CLINIC_SESSION_KEY] = clinic.pk
    messages.success(request, f"You are now working in {clinic.name}.")
    return HttpResponseRedirect(safe_next(request, reverse("home")))


EXAMPLE_CODES = ("97110", "97140", "97530", "97161")  # shown priced at the chosen locality


@login_required
@role_required(Role.OWNER)
@require_http_methods(["GET", "POST"])
def clinic_settings(request: HtmxHttpRequest) -> HttpResponse:
    """The clinic's billing settings, for its owners: name, group NPI, Medicare locality and
    conversion factor (billing-rules §8, §10.13)."""
    clinic = active_clinic(request)
    today = timezone.localdate()
    year = (
        Gpci.objects.filter(year__lte=today.year).aggregate(latest=Max("year"))["latest"]
        or today.year
    )
    localities = [
        (f"{mac}-{number}", f"{state} · {name.title()} (locality {mac}-{number})")
        for mac, number, state, name in Gpci.objects.filter(year=year)
        .order_by("state", "name")
        .values_list("mac", "locality", "state", "name")
    ]
    current = f"{clinic.medicare_mac}-{clinic.medicare_locality}" if clinic.medicare_mac else ""
    form = ClinicSettingsForm(
        request.POST or None,
        localities=localities,
        initial={
            "name": clinic.name,
            "npi": clinic.npi,
            "locality": current,
            "qualifying_apm": clinic.qualifying_apm,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            clinic_update_settings(clinic=clinic, **form.cleaned_data)
        except ValidationError as error:
            for field, messages_ in error.message_dict.items():
                form.add_error(field if field in form.fields else None, messages_)
        else:
            messages.success(request, "The clinic's settings are saved.")
            return redirect("clinic-settings")
        clinic.refresh_from_db()
    medicare = [
        pk for pk, kind in ReferenceFacts.current().payer_kinds.items() if kind == "medicare"
    ]
    examples = []
    if medicare:
        prices = fee_table(codes=EXAMPLE_CODES, day=today, clinic_id=clinic.pk)[medicare[0]]
        examples = [(code, prices[code]) for code in EXAMPLE_CODES if code in prices]
    return render(
        request,
        "ptclinic/clinic_settings.html",
        {"form": form, "examples": examples, "gpci_year": year, "today": today},
    )


@login_required
@role_required(Role.OWNER)
@require_http_methods(["GET", "POST"])
def clinic_billing(request: HtmxHttpRequest) -> HttpResponse:
    """The clinic as billing provider and its clearinghouse set-up (billing-rules §11.1)."""
    clinic = active_clinic(request)
    form = ClinicBillingForm(request.POST or None, instance=Clinic.objects.get(pk=clinic.pk))
    if request.method == "POST" and form.is_valid():
        try:
            clinic_update_billing(clinic=clinic, **form.cleaned_data)
        except ValidationError as error:
            for field, messages_ in error.message_dict.items():
                form.add_error(field if field in form.fields else None, messages_)
        else:
            messages.success(request, "The clinic's billing details are saved.")
            return redirect("clinic-billing")
    return render(
        request,
        "ptclinic/clinic_billing.html",
        {"form": form, "setup_problems": setup_problems(clinic)},
    )


@login_required
@role_required(Role.OWNER)
@require_http_methods(["GET", "POST"])
def charge_master(request: HtmxHttpRequest) -> HttpResponse:
    """What the clinic charges per unit of each code, from a date (billing-rules §11.2)."""
    clinic = active_clinic(request)
    form = ChargeForm(request.POST or None, initial={"effective": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            charge_set(clinic=clinic, **form.cleaned_data)
        except ValidationError as error:
            for field, messages_ in error.message_dict.items():
                form.add_error(field if field in form.fields else None, messages_)
        else:
            data = form.cleaned_data
            messages.success(
                request,
                f"{data['code'].upper()} is charged ${data['charge']:,.2f} a unit from "
                f"{data['effective']:%b %-d, %Y}.",
            )
            return redirect("charge-master")
    return render(
        request,
        "ptclinic/charge_master.html",
        {"form": form, "rows": charge_table(clinic_id=clinic.pk, day=timezone.localdate())},
    )
