"""The admin's "Load a CMS file" pages and the record of every load (§10.6).

Upload → preview (the plan: counts, the first rows that change, per-row errors; nothing
written) → "Load it". The upload is kept in the default storage under ``imports/<sha256>`` so
that the load, a job (`coding.jobs.cms_import`) run by a worker on any host, re-plans the very
same bytes; the confirm form and the job carry only the hash and the choices. "What is
loaded" lists, per table, what is in force today. All three are admin views: the admin role
only."""

from __future__ import annotations

import re
from functools import wraps
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from coding.coverage import loaded_tables, reference_gaps
from coding.imports.base import ImportPlan, sha256_hex
from coding.imports.files import UnreadableFile, megabytes, plan_file
from coding.imports.registry import IMPORTERS, importer_for
from coding.jobs import cms_import_start, file_is_stored, file_store
from coding.models import ImportKind, ImportRecord
from ptclinic.http import HtmxHttpRequest
from ptclinic.jobs.views import redirect_after_start
from ptclinic.roles import is_platform_admin

MAX_UPLOAD = 200 * 1024 * 1024  # CMS's largest file (a PTP part) is far smaller
SHOWN = 50
ORDER = {"add": 0, "update": 1, "skip": 2, "unchanged": 3}


def _kind_choices() -> list[tuple[str, str]]:
    return [(k, str(ImportKind(k).label)) for k in ImportKind.values if k in IMPORTERS]


class LoadChoicesForm(forms.Form):
    kind = forms.ChoiceField(label="File", choices=_kind_choices)
    release = forms.CharField(
        label="Release",
        max_length=60,
        help_text="As CMS names it, e.g. RVU26C, MUE 2026 Q3, PTP v32.2.",
    )
    effective = forms.DateField(
        label="First date of service",
        help_text="The first date of service the file applies to, e.g. 2026-07-01.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    qualifying_apm = forms.BooleanField(
        label="This is the qualifying-APM (QPP) version of the PFS file",
        required=False,
        help_text="Sets the qualifying-APM conversion factor instead of the usual one.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("qualifying_apm") and data.get("kind") != ImportKind.PPRRVU:
            self.add_error(
                "qualifying_apm", "Only the PFS relative value file has a qualifying-APM version."
            )
        return data


class UploadForm(LoadChoicesForm):
    file = forms.FileField(label="The file, as CMS publishes it (CSV or text)")

    field_order = ["kind", "file", "release", "effective", "qualifying_apm"]

    def clean_file(self) -> UploadedFile[bytes]:
        upload: UploadedFile[bytes] = self.cleaned_data["file"]
        if upload.size and upload.size > MAX_UPLOAD:
            raise forms.ValidationError(
                f"That file is {megabytes(upload.size)}; CMS files load at most "
                f"{megabytes(MAX_UPLOAD)}. Is it the right file?"
            )
        return upload


class ConfirmForm(LoadChoicesForm):
    sha256 = forms.RegexField(regex=re.compile(r"^[0-9a-f]{64}$"), widget=forms.HiddenInput)
    file_name = forms.CharField(max_length=255, widget=forms.HiddenInput)


def _plan(
    choices: dict[str, Any], data: bytes, *, file_name: str, user: Any, dry_run: bool
) -> ImportPlan:
    return plan_file(
        importer=importer_for(choices["kind"], qualifying_apm=choices["qualifying_apm"]),
        data=data,
        release=choices["release"].strip(),
        effective=choices["effective"],
        file_name=file_name,
        user=user,
        dry_run=dry_run,
    )


@admin.register(ImportRecord)
class ImportRecordAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # not subscriptable at run time
    """Each load of an official file, as written: nobody adds, edits or deletes one."""

    list_display = [
        "kind",
        "release",
        "effective_from",
        "effective_through",
        "added",
        "updated",
        "unchanged",
        "skipped",
        "loaded_by",
        "loaded_at",
    ]
    list_filter = ["kind"]
    search_fields = ["release", "file_name", "sha256"]
    list_select_related = ["loaded_by"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_platform_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_platform_admin(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        site_wrap = self.admin_site.admin_view

        def wrap(view: Any) -> Any:
            # CMS's files change the tables every clinic bills with: the platform admin's.
            @wraps(view)
            def platform_only(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
                if not is_platform_admin(request.user):
                    raise PermissionDenied("Loading CMS files is for the platform admin.")
                return view(request, *args, **kwargs)

            return site_wrap(platform_only)

        return [
            path("load/", wrap(self.load_view), name="coding_importrecord_load"),
            path(
                "load/confirm/",
                wrap(require_POST(self.confirm_view)),
                name="coding_importrecord_load_confirm",
            ),
            path("loaded/", wrap(self.loaded_view), name="coding_importrecord_loaded"),
            *super().get_urls(),
        ]

    def _context(self, request: HttpRequest, title: str, **extra: Any) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            **extra,
        }

    def load_view(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST":
            form = UploadForm(request.POST, request.FILES)
            if form.is_valid():
                upload: UploadedFile[bytes] = form.cleaned_data["file"]
                data = upload.read()
                sha256 = sha256_hex(data)
                file_name = (upload.name or "upload").rsplit("/", 1)[-1][:255]
                try:
                    plan = _plan(
                        form.cleaned_data,
                        data,
                        file_name=file_name,
                        user=request.user,
                        dry_run=True,
                    )
                except UnreadableFile as exc:  # not text at all: the form says why
                    form.add_error("file", str(exc))
                else:
                    if not plan.errors:  # kept for "Load it" only when it can be loaded
                        file_store(data=data, sha256=sha256)
                    confirm = ConfirmForm(
                        initial={**form.cleaned_data, "sha256": sha256, "file_name": file_name}
                    )
                    return self._preview(request, plan, confirm, file_name)
        else:
            kind = request.GET.get("kind", "")
            form = UploadForm(initial={"kind": kind} if kind in IMPORTERS else None)
        return TemplateResponse(
            request,
            "admin/coding/importrecord/load.html",
            self._context(request, "Load a CMS file", form=form),
        )

    def _preview(
        self, request: HttpRequest, plan: ImportPlan, confirm: ConfirmForm, file_name: str
    ) -> HttpResponse:
        changes = sorted(plan.changes, key=lambda c: ORDER[c.action])
        return TemplateResponse(
            request,
            "admin/coding/importrecord/preview.html",
            self._context(
                request,
                "Check before loading",
                plan=plan,
                counts=plan.counts(),
                changes=changes[:SHOWN],
                more_changes=max(0, len(plan.changes) - SHOWN),
                errors=plan.errors[:SHOWN],
                more_errors=max(0, len(plan.errors) - SHOWN),
                confirm=confirm,
                file_name=file_name,
            ),
        )

    def confirm_view(self, request: HttpRequest) -> HttpResponse:
        form = ConfirmForm(request.POST)
        load_url = reverse("admin:coding_importrecord_load")
        if not form.is_valid():
            messages.error(request, "The confirmation was incomplete; upload the file again.")
            return HttpResponseRedirect(load_url)
        choices = form.cleaned_data
        sha256 = choices["sha256"]
        loaded = ImportRecord.objects.filter(sha256=sha256, kind=choices["kind"]).exists()
        if not file_is_stored(sha256) and not loaded:
            messages.error(
                request, "The uploaded file is no longer here (already loaded?); upload it again."
            )
            return HttpResponseRedirect(load_url)
        # A job: a worker on any host loads it from the storage (inline on SQLite), and sends
        # the admin to the import records when it is done (or to its page meanwhile).
        job = cms_import_start(
            user=request.user,
            sha256=sha256,
            kind=choices["kind"],
            release=choices["release"],
            effective=choices["effective"],
            qualifying_apm=choices["qualifying_apm"],
            file_name=choices["file_name"],
        )
        return redirect_after_start(cast(HtmxHttpRequest, request), job)

    def loaded_view(self, request: HttpRequest) -> HttpResponse:
        today = timezone.localdate()
        return TemplateResponse(
            request,
            "admin/coding/importrecord/loaded.html",
            self._context(
                request,
                "What is loaded",
                today=today,
                tables=loaded_tables(today),
                gaps=reference_gaps(today),
            ),
        )
