from django.urls import path

from claims.remittance import views

urlpatterns = [
    path("billing/remittances/", views.remittance_list, name="remittance-list"),
    path(
        "billing/remittances/<int:remittance_id>/",
        views.remittance_detail,
        name="remittance-detail",
    ),
    path("billing/worklist/", views.remittance_worklist, name="remittance-worklist"),
    path(
        "billing/worklist/<int:payment_id>/match/",
        views.payment_match_view,
        name="payment-match",
    ),
    path(
        "billing/worklist/<int:payment_id>/dismiss/",
        views.payment_dismiss_view,
        name="payment-dismiss",
    ),
    path("billing/denials/", views.denial_report, name="denial-report"),
    path("adjustment-codes/", views.adjustment_codes, name="adjustment-codes"),
]
