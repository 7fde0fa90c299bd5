from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class PtclinicConfig(AppConfig):
    default = True
    name = "ptclinic"
    verbose_name = "Clinics and users"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from ptclinic import checks  # noqa: F401  (registers the deploy checks)
        from ptclinic.middleware import session_login_record

        user_logged_in.connect(session_login_record, dispatch_uid="ptclinic-login-at")


class PtclinicAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "ptclinic.admin_site.PtclinicAdminSite"

    def ready(self) -> None:
        super().ready()  # loads every app's admin module
        from django.contrib import admin

        from ptclinic.admin_access import adopt_package_admins

        adopt_package_admins(admin.site)
