"""The jobs pages: what long work was started, by whom, how far it has come, what came of it."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from ptclinic.http import HtmxHttpRequest
from ptclinic.models import Job, JobStatus, Role
from ptclinic.roles import has_role, is_platform_admin


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


@require_GET
def job_list(request: HtmxHttpRequest) -> HttpResponse:
    jobs = (
        visible_jobs(request)
        .filter(parent__isnull=True)
        .select_related("started_by", "clinic")[:100]
    )
    return render(request, "ptclinic/job_list.html", {"jobs": jobs})


@require_GET
def job_detail(request: HtmxHttpRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(visible_jobs(request).select_related("started_by", "clinic"), pk=job_id)
    template = "ptclinic/_job_progress.html" if request.htmx else "ptclinic/job_detail.html"
    return render(request, template, {"job": job})
