from django.urls import path

from claims import rule_views, views

urlpatterns = [
    path("sessions/", views.session_list, name="session-list"),
    path("sessions/new/", views.session_new, name="session-new"),
    path("sessions/suggest/", views.session_suggest, name="session-suggest"),
    path("sessions/row/", views.session_row, name="session-row"),
    path("sessions/patients/", views.session_patient_options, name="session-patient-options"),
    path("sessions/diagnosis/", views.session_dx_row, name="session-dx-row"),
    path("sessions/<int:session_id>/edit/", views.session_edit, name="session-edit"),
    path("audit/", views.access_log, name="access-log"),
    path("rules/", rule_views.rule_list, name="rule-list"),
]
