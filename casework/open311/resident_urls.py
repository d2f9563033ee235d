"""The residents' page (随手拍): report per street, follow by tracking number, public photos."""

from django.urls import path

from casework.open311 import resident_views as views

app_name = "residents"

urlpatterns = [
    path("track/", views.track_lookup, name="lookup"),
    path("track/<str:token>/", views.track, name="track"),
    path("photos/<int:pk>/<slug:size>.jpg", views.photo, name="photo"),
    path("<str:street_code>/", views.report, name="report"),
    path("<str:street_code>/code/", views.send_code, name="code"),
    path("<str:street_code>/buildings/", views.buildings, name="buildings"),
]
