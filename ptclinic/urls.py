from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from ptclinic import two_factor_views, views
from ptclinic.forms import LoginForm
from ptclinic.two_factor import two_factor_exempt

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz/", views.healthz, name="healthz"),
    path("readyz/", views.readyz, name="readyz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("clinic/switch/", views.clinic_switch, name="clinic-switch"),
    path("clinic/settings/", views.clinic_settings, name="clinic-settings"),
    path("clinic/billing/", views.clinic_billing, name="clinic-billing"),
    path("clinic/charges/", views.charge_master, name="charge-master"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=LoginForm
        ),
        name="login",
    ),
    # Log-out works before the second factor is given (the code page offers it).
    path(
        "accounts/logout/",
        two_factor_exempt(auth_views.LogoutView.as_view()),
        name="logout",
    ),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("accounts/two-factor/", two_factor_views.account, name="two-factor"),
    path("accounts/two-factor/code/", two_factor_views.verify, name="two-factor-verify"),
    path("accounts/two-factor/setup/", two_factor_views.setup, name="two-factor-setup"),
    path(
        "accounts/two-factor/recovery-codes/",
        two_factor_views.recovery_codes,
        name="two-factor-recovery-codes",
    ),
    path("accounts/two-factor/off/", two_factor_views.turn_off, name="two-factor-turn-off"),
    path("", include("ptclinic.jobs.urls")),
    path("", include("coding.urls")),
    path("", include("claims.patient_urls")),
    path("", include("claims.urls")),
    path("", include("claims.review_urls")),
    path("", include("claims.submission.urls")),
    path("", include("claims.remittance.urls")),
    path("admin/", admin.site.urls),
]
