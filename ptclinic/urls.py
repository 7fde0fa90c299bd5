from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from ptclinic import views
from ptclinic.forms import LoginForm

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
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
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
    path("", include("coding.urls")),
    path("", include("claims.patient_urls")),
    path("", include("claims.urls")),
    path("", include("claims.review_urls")),
    path("", include("claims.submission.urls")),
    path("", include("claims.remittance.urls")),
    path("admin/", admin.site.urls),
]
