from django.urls import path

from ptclinic.jobs import views

urlpatterns = [
    path("jobs/", views.job_list, name="jobs"),
    path("jobs/<int:job_id>/", views.job_detail, name="job-detail"),
    path("jobs/rescrub/", views.jobs_rescrub, name="jobs-rescrub"),
]
