from django.urls import path

from claims.submission import views

urlpatterns = [
    path("billing/", views.batch_list, name="batch-list"),
    path("billing/batches/<int:batch_id>/", views.batch_detail, name="batch-detail"),
    path("billing/batches/<int:batch_id>/forms.pdf", views.batch_forms, name="batch-forms"),
    path("billing/files/<int:file_id>/", views.batch_file_download, name="batch-file"),
    path("claims/<int:claim_id>/form.pdf", views.claim_form, name="claim-form"),
    path(
        "claims/<int:claim_id>/life/<slug:action>/",
        views.claim_lifecycle,
        name="claim-lifecycle",
    ),
]
