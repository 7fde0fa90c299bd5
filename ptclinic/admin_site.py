from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import HttpRequest, HttpResponse

from ptclinic.roles import may_use_admin


def _holds_nul(request: HttpRequest, *url_values: Any) -> bool:
    texts = [str(v) for v in url_values]
    for query in (request.GET, request.POST):
        for key, values in query.lists():
            texts += [key, *values]
    return any("\x00" in text for text in texts)


class PtclinicAdminSite(admin.AdminSite):
    """The Django admin, for the admin role only (code tables) and superusers (everything)."""

    site_header = "ptclinic administration"
    site_title = "ptclinic admin"
    index_title = "Code tables and clinics"

    def has_permission(self, request: HttpRequest) -> bool:
        return may_use_admin(request.user)

    def login(self, request: HttpRequest, extra_context: object = None) -> HttpResponse:
        # One login page for the whole app.
        return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)

    def admin_view(self, view: Any, cacheable: bool = False) -> Any:
        inner = super().admin_view(view, cacheable)

        @wraps(inner)
        def refuse_nul(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            # No key, search or filter value holds a NUL byte, and PostgreSQL refuses one in a
            # query: the admin's searches, list filters, autocomplete and object lookups passed
            # it on (a 500). templates/400.html instead.
            if _holds_nul(request, *args, *kwargs.values()):
                raise BadRequest("A NUL byte in the request.")
            # A changelist takes any lookup on a field in the query string; a regular expression
            # the database cannot compile ("(") was a 500 on PostgreSQL. None is offered.
            if any(key.endswith(("__regex", "__iregex")) for key in request.GET):
                raise BadRequest("Regular-expression filters are not offered in the admin.")
            # Signed in without the admin role: the admin would send them to log in, and the
            # login page, seeing them signed in, back here (a loop). Say no instead.
            if request.user.is_authenticated and not self.has_permission(request):
                raise PermissionDenied("The admin is for the admin role.")
            return inner(request, *args, **kwargs)

        return refuse_nul
