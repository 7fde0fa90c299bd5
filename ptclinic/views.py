from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from claims.models import Claim
from ptclinic.http import safe_next
from ptclinic.middleware import ACTIVE_CLINIC_SESSION_KEY
from ptclinic.models import Role


@login_not_required
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """For the load balancer: the process answers. Touches no database (no session cookie, no
    user lookup), so it stays cheap at any request rate; it is also the load test's ceiling."""
    return HttpResponse("ok", content_type="text/plain")


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """One page per role; a user with several roles in the clinic sees each role's panel."""
    context: dict[str, object] = {}
    if Role.OWNER in request.roles:  # type: ignore[attr-defined]
        context["review"] = (
            Claim.objects.for_clinic(request.clinic)  # type: ignore[attr-defined]
            .needing_review()
            .aggregate(waiting=Count("pk"), with_errors=Count("pk", filter=Q(open_errors__gt=0)))
        )
    return render(request, "ptclinic/home.html", context)


@login_required
@require_POST
def clinic_switch(request: HttpRequest) -> HttpResponse:
    try:
        clinic_id = int(request.POST.get("clinic", ""))
    except ValueError:
        return HttpResponseBadRequest("Choose a clinic.")
    clinic = next((c for c in request.clinics if c.pk == clinic_id), None)  # type: ignore[attr-defined]
    if clinic is None:
        # Not a member: the same answer as a clinic that does not exist.
        return HttpResponseBadRequest("You are not a member of that clinic.")
    request.session[ACTIVE_CLINIC_SESSION_KEY] = clinic.pk
    messages.success(request, f"You are now working in {clinic.name}.")
    return HttpResponseRedirect(safe_next(request, reverse("home")))
