from django.urls import path

from claims import patient_views as views

urlpatterns = [
    path("patients/", views.patient_list, name="patient-list"),
    path("patients/new/", views.patient_create, name="patient-create"),
    path("patients/dx-options/", views.dx_options, name="dx-options"),
    path("patients/<int:patient_id>/", views.patient_detail, name="patient-detail"),
    path("patients/<int:patient_id>/edit/", views.patient_update, name="patient-update"),
    path("patients/<int:patient_id>/plans/new/", views.plan_create, name="plan-create"),
    path("plans/<int:plan_id>/edit/", views.plan_update, name="plan-update"),
    path(
        "patients/<int:patient_id>/authorizations/new/",
        views.authorization_create,
        name="authorization-create",
    ),
    path(
        "authorizations/<int:authorization_id>/edit/",
        views.authorization_update,
        name="authorization-update",
    ),
    path(
        "patients/<int:patient_id>/therapy-used/",
        views.therapy_used_edit,
        name="therapy-used-edit",
    ),
]
