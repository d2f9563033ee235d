from django.urls import path

from casework.stats import wall_views

app_name = "wall"

urlpatterns = [
    path("<str:key>/", wall_views.wall_screen, name="screen"),
    path("<str:key>/feed/", wall_views.wall_feed, name="feed"),
]
