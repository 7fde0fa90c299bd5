from django.urls import path

from coding import cheat_sheet_views, views

urlpatterns = [
    path("codes/", views.code_list, name="code-list"),
    path("codes/cheat-sheet/", cheat_sheet_views.cheat_sheet, name="code-cheat-sheet"),
    path("codes/<str:code>/", views.code_detail, name="code-detail"),
    path("icd10/", views.icd10_search, name="icd10-search"),
    path("modifiers/", views.modifier_list, name="modifier-list"),
    path("payers/", views.payer_list, name="payer-list"),
]
