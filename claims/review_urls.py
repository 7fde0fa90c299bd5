from django.urls import path

from claims import review_views as views

urlpatterns = [
    path("review/", views.review_queue, name="review-queue"),
    path("review/approve/", views.review_bulk_approve, name="review-bulk-approve"),
    path("review/export/", views.review_export, name="review-export"),
    path("claims/<int:claim_id>/", views.claim_detail, name="claim-detail"),
    path("claims/<int:claim_id>/approve/", views.claim_approve_view, name="claim-approve"),
    path("claims/<int:claim_id>/return/", views.claim_return_view, name="claim-return"),
    path("claims/<int:claim_id>/rescrub/", views.claim_rescrub, name="claim-rescrub"),
    path(
        "claims/<int:claim_id>/lines/<int:line_id>/",
        views.claim_line_edit,
        name="claim-line-edit",
    ),
    path(
        "claims/<int:claim_id>/flags/<int:flag_id>/",
        views.flag_settle_view,
        name="flag-settle",
    ),
]
