from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

from ptclinic.roles import is_code_admin


class PtclinicAdminSite(admin.AdminSite):
    """The Django admin, for the admin role only (code tables) and superusers (everything)."""

    site_header = "ptclinic administration"
    site_title = "ptclinic admin"
    index_title = "Code tables and clinics"

    def has_permission(self, request: HttpRequest) -> bool:
        return is_code_admin(request.user)

    def login(self, request: HttpRequest, extra_context: object = None) -> HttpResponse:
        # One login page for the whole app.
        return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
