from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class PtclinicConfig(AppConfig):
    default = True
    name = "ptclinic"
    verbose_name = "Clinics and users"

    def ready(self) -> None:
        from ptclinic import checks  # noqa: F401  (registers the deploy checks)


class PtclinicAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "ptclinic.admin_site.PtclinicAdminSite"
