from django.urls import path

from casework import views

app_name = "casework"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("inbox/", views.inbox, name="inbox"),
    path("new/", views.case_new, name="new"),
    path("new/duplicates/", views.duplicates, name="duplicates"),
    path("new/places/", views.places, name="places"),
    path("new/photos/", views.photo_draft_upload, name="photo_draft_upload"),
    path("new/photos/<uuid:pk>.jpg", views.photo_draft, name="photo_draft"),
    path("export.xlsx", views.case_export, name="export"),
    path("exports/<uuid:pk>/", views.case_export_job, name="export_job"),
    path("exports/<uuid:pk>/file.xlsx", views.case_export_file, name="export_file"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/reporter/", views.reporter_reveal, name="reporter_reveal"),
    path("<int:pk>/steps/<slug:step>/", views.take_step, name="step"),
    path(
        "<int:pk>/photos/<int:attachment>/<slug:size>.jpg",
        views.photo,
        name="photo",
    ),
]
