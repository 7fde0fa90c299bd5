"""The jobs pages: what long work was started, by whom, how far it has come, what came of it."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from claims.jobs import rescrub_start
from ptclinic.http import HtmxHttpRequest, wants_partial
from ptclinic.jobs.forms import JobFilterForm
from ptclinic.models import Job, JobStatus, Role
from ptclinic.roles import active_clinic, has_role, is_platform_admin, role_required

PER_PAGE = 25


def visible_jobs(request: HtmxHttpRequest) -> QuerySet[Job]:
    """The jobs a user may see: an owner or clinic admin their clinic's; the platform admin
    every job (the code tables' and the schedule's are nobody's clinic's). Chunks of a
    fanned-out job are shown on their parent's page, not in the list."""
    if is_platform_admin(request.user):
        return Job.objects.all()
    if request.clinic is not None and has_role(request, Role.OWNER, Role.ADMIN):
        return Job.objects.filter(clinic=request.clinic)
    raise PermissionDenied("Only owners, clinic admins and the platform admin see jobs.")


def redirect_after_start(request: HtmxHttpRequest, job: Job) -> HttpResponse:
    """Where a person goes once they started a job: what it made when it has finished (the
    inline runner), else the job's page, which shows its progress until it does."""
    if job.status == JobStatus.DONE and job.result_url:
        if job.message:
            messages.success(request, job.message)
        return redirect(job.result_url)
    if job.status == JobStatus.FAILED:
        messages.error(request, job.message or job.error)
    elif job.status != JobStatus.DONE:
        messages.info(request, f"{job.label}: started. This page shows how far it has come.")
    return redirect("job-detail", job_id=job.pk)


def _wants_partial(request: HtmxHttpRequest) -> bool:
    """An htmx poll of the page's region; a boosted link (from a boosted region elsewhere)
    wants the whole page, as a history restore does."""
    return wants_partial(request) and not request.htmx.boosted


@dataclass(frozen=True)
class Chunks:
    """How far the parts of a fanned-out job have come. `shared`: parts on the queue, which
    any worker takes (else the inline runner did them one after the other)."""

    total: int
    done: int
    failed: int
    shared: bool = True

    @property
    def left(self) -> int:
        return self.total - self.done - self.failed


def job_chunks(job: Job) -> Chunks | None:
    """The parts of a job the queue split (None when it was not split); one query. The inline
    runner keeps no parts: what it did is in the job's result."""
    counts = job.children.aggregate(
        total=Count("pk"),
        done=Count("pk", filter=Q(status=JobStatus.DONE)),
        failed=Count("pk", filter=Q(status=JobStatus.FAILED)),
    )
    if counts["total"]:
        return Chunks(**counts)
    if (parts := int(job.result.get("chunks") or 0)) > 1:
        done = parts if job.status == JobStatus.DONE else 0
        return Chunks(total=parts, done=done, failed=0, shared=False)
    return None


@login_required
@require_GET
@vary_on_headers("HX-Request")
def job_list(request: HtmxHttpRequest) -> HttpResponse:
    jobs = visible_jobs(request).filter(parent__isnull=True)
    form = JobFilterForm(request.GET)
    jobs = jobs.filter(**form.filters()).select_related("started_by", "clinic")
    page = Paginator(jobs, PER_PAGE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "jobs": rows,
        "any_active": any(job.is_active for job in rows),
        "filter_query": query.urlencode(),
        "show_clinic": is_platform_admin(request.user),
    }
    template = "ptclinic/job_list.html"
    if _wants_partial(request):
        template += "#job-rows"
    return render(request, template, context)


@login_required
@require_GET
@vary_on_headers("HX-Request")
def job_detail(request: HtmxHttpRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(visible_jobs(request).select_related("started_by", "clinic"), pk=job_id)
    template = (
        "ptclinic/_job_progress.html" if _wants_partial(request) else "ptclinic/job_detail.html"
    )
    context = {
        "job": job,
        "chunks": job_chunks(job),
        "show_clinic": is_platform_admin(request.user),
        "traceback": job.result.get("traceback", "") if is_platform_admin(request.user) else "",
    }
    return render(request, template, context)


@login_required
@role_required(Role.OWNER)
@require_POST
def jobs_rescrub(request: HtmxHttpRequest) -> HttpResponse:
    """Re-scrub the clinic's open claims (joins the re-scrub already waiting or running)."""
    job = rescrub_start(user=request.user, clinic=active_clinic(request))
    return redirect_after_start(request, job)
