"""Clear refusals for the code tables' CSV imports in the admin (django-import-export 4).

Upload → preview → "Confirm import". django-import-export answered a bad confirmation with a
500 (a format or resource index out of range or not a number, a temporary file that is gone:
already imported, or named by hand) and kept the upload in the host's own /tmp, under a name the
form carried back unchecked. Here:

- the upload waits in the default storage (shared by the hosts, like the CMS files of
  coding/admin_imports.py) under a random name;
- the confirm form carries a signature of that name, the format and the resource, bound to the
  table and the admin who previewed it, for a day: anything else is refused with a message and a
  way back to the import page;
- a file over `CODE_IMPORT_MAX_BYTES`, or one that is not text, is a form error before it is read;
- a confirmed import is all rows or none, also when a row no longer passes at that moment."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST
from import_export import resources
from import_export.admin import ImportMixin
from import_export.forms import ConfirmImportForm, ImportForm
from import_export.tmp_storages import MediaStorage

from coding.imports.files import megabytes

UPLOAD_MAX_AGE = 24 * 60 * 60  # a preview left open overnight is still confirmed the next day
UPLOAD_NAME = re.compile(r"^[0-9a-f]{32}$")  # MediaStorage's uuid4().hex
STALE = (
    "That import is no longer waiting (it was confirmed already, or it is old). "
    "Upload the file again."
)
MISMATCH = "That confirmation does not match a file you previewed here. Upload the file again."


class UploadStorage(MediaStorage):  # type: ignore[misc]  # django-import-export is untyped
    """The uploaded file between the preview and "Confirm import": the default storage, so
    that the confirming request finds it on any host."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**{**kwargs, "MEDIA_FOLDER": "imports/tables"})

    def exists(self) -> bool:
        return bool(self.name) and bool(self._storage.exists(self.get_full_path()))


class CheckedImportForm(ImportForm):  # type: ignore[misc]  # django-import-export is untyped
    """The upload step: refuses a file too large to take before anything reads it, and one
    holding NUL bytes (a spreadsheet or zip uploaded as text; PostgreSQL refuses NUL in text)."""

    def __init__(self, formats: list[Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(formats, *args, **kwargs)
        self.import_formats = formats

    def clean_import_file(self) -> Any:
        upload = self.cleaned_data["import_file"]
        limit: int = settings.CODE_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"That file is {megabytes(upload.size)}; imports take at most "
                f"{megabytes(limit)}. Split it and load the parts."
            )
        return upload

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean()
        upload, index = data.get("import_file"), data.get("format")
        if upload is None or index in (None, ""):
            return data
        file_format = self.import_formats[int(index)]()
        if file_format.is_binary():
            return data
        line, seen = 1, b""
        for chunk in upload.chunks():
            nul = chunk.find(b"\x00")
            if nul >= 0:
                line += seen.count(b"\n") + chunk.count(b"\n", 0, nul)
                self.add_error(
                    "import_file",
                    f"Line {line} holds a NUL byte, so this is not a {format_title(file_format)} "
                    "text file (a spreadsheet saved as .xlsx?). Save it as CSV UTF-8 and load "
                    "that.",
                )
                break
            line += chunk.count(b"\n")
        upload.seek(0)
        return data


class CheckedConfirmImportForm(ConfirmImportForm):  # type: ignore[misc]  # django-import-export is untyped
    """The confirm step's hidden fields, and the signature that ties them to one preview."""

    upload_check = forms.CharField(widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, salt: str, format_count: int, resource_count: int, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.salt, self.format_count, self.resource_count = salt, format_count, resource_count
        self.stale = False

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean()
        try:
            signed = signing.loads(
                data.get("upload_check", ""), salt=self.salt, max_age=UPLOAD_MAX_AGE
            )
        except signing.SignatureExpired:
            self.stale = True
            raise forms.ValidationError(STALE) from None
        except signing.BadSignature:  # tampered, another admin's, or another table's
            raise forms.ValidationError(MISMATCH) from None
        posted = [data.get("import_file_name"), data.get("format"), data.get("resource") or ""]
        if (
            signed != posted
            or not UPLOAD_NAME.match(posted[0] or "")
            or not _index_below(posted[1], self.format_count)
            or not (posted[2] == "" or _index_below(posted[2], self.resource_count))
        ):
            raise forms.ValidationError(MISMATCH)
        return data


def _index_below(value: Any, count: int) -> bool:
    return isinstance(value, str) and value.isascii() and value.isdigit() and int(value) < count


def format_title(file_format: Any) -> str:
    return str(file_format.get_title()).upper()


class CheckedImportMixin(ImportMixin):  # type: ignore[misc]  # django-import-export is untyped
    """For an `ImportExportModelAdmin` (listed before it): this module's checks."""

    import_template_name = "admin/coding/import.html"
    import_form_class = CheckedImportForm
    confirm_form_class = CheckedConfirmImportForm
    tmp_storage_class = UploadStorage

    def _upload_salt(self, request: HttpRequest) -> str:
        opts = self.model._meta
        return f"coding.import:{opts.label_lower}:{request.user.pk}"

    def _import_url(self) -> str:
        info = self.get_model_info()
        return reverse("admin:{}_{}_import".format(*info), current_app=self.admin_site.name)

    def get_confirm_form_kwargs(self, request: HttpRequest, import_form: Any = None) -> Any:
        kwargs = super().get_confirm_form_kwargs(request, import_form)
        kwargs["salt"] = self._upload_salt(request)
        kwargs["format_count"] = len(self.get_import_formats())
        kwargs["resource_count"] = len(self.get_import_resource_classes(request))
        return kwargs

    def get_confirm_form_initial(self, request: HttpRequest, import_form: Any) -> Any:
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            fields = [initial["import_file_name"], str(initial["format"]), initial["resource"]]
            initial["upload_check"] = signing.dumps(fields, salt=self._upload_salt(request))
        return initial

    def add_data_read_fail_error_to_form(self, form: Any, e: Exception) -> None:
        index = form.cleaned_data.get("format")
        title = format_title(self.get_import_formats()[int(index)]())
        if isinstance(e, UnicodeDecodeError):
            line = e.object[: e.start].count(b"\n") + 1
            message = (
                f"Line {line} is not UTF-8 text. Save the file as CSV UTF-8 (or with the "
                "encoding UTF-8) and load it again."
            )
        else:
            message = (
                f"That file could not be read as {title}. Choose the format the file is in, "
                "or save it as CSV UTF-8."
            )
        form.add_error("import_file", message)

    def import_action(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        response: HttpResponse = super().import_action(request, **kwargs)
        # The upload is kept only for a preview that can be confirmed: one with errors has no
        # "Confirm import", and its file would wait in the shared storage for nothing.
        context = getattr(response, "context_data", None) or {}
        form = context.get("form")
        if "confirm_form" not in context and form is not None and form.files:
            # The upload itself: a read error takes it out of cleaned_data.
            name = getattr(form.files.get("import_file"), "tmp_storage_name", None)
            if name:
                UploadStorage(name=name).remove()
        return response

    @method_decorator(require_POST)
    def process_import(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = self.create_confirm_form(request)
        if not form.is_valid():
            messages.error(request, STALE if form.stale else MISMATCH)
            return HttpResponseRedirect(self._import_url())
        if not UploadStorage(name=form.cleaned_data["import_file_name"]).exists():
            messages.error(request, STALE)
            return HttpResponseRedirect(self._import_url())
        try:
            response: HttpResponse = super().process_import(request, **kwargs)
        except FileNotFoundError:  # the same confirmation, sent twice at once, got there first
            messages.error(request, STALE)
            return HttpResponseRedirect(self._import_url())
        return response

    def get_import_data_kwargs(self, **kwargs: Any) -> Any:
        # import-export keeps the valid rows of a confirmed import when others fail validation
        # (a row can stop passing between the preview and the confirmation): all or nothing.
        data_kwargs = super().get_import_data_kwargs(**kwargs)
        data_kwargs["rollback_on_validation_errors"] = True
        return data_kwargs

    def process_result(self, result: Any, request: HttpRequest) -> HttpResponse:
        if result.has_errors() or result.has_validation_errors():
            messages.error(
                request,
                "Nothing was imported: the file no longer passes the checks (did the table "
                "change since the preview?). Upload it again to see why.",
            )
            return HttpResponseRedirect(self._import_url())
        response: HttpResponse = super().process_result(result, request)
        return response


class CodeTableResource(resources.ModelResource):  # type: ignore[misc]  # django-import-export is untyped
    """A code table's CSV: the columns that identify a row must be named on the first line."""

    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        super().before_import(dataset, **kwargs)
        needed = [self.fields[name].column_name for name in self.get_import_id_fields()]
        headers = [str(h) for h in dataset.headers or []]
        missing = [column for column in needed if column not in headers]
        if missing:
            del dataset[0 : len(dataset)]  # no row can be matched: list none of them
            columns = ", ".join(f.column_name for f in self.get_import_fields())
            raise ValueError(
                f"The first line must name the columns, and it has no "
                f"{' or '.join(missing)} column (it reads: {', '.join(headers) or 'nothing'}). "
                f"The columns are: {columns}."
            )
