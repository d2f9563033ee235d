from django.urls import path

from casework.stats import ranking_views, views

app_name = "stats"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export.xlsx", views.dashboard_export, name="export"),
    path("ranking/", ranking_views.ranking_page, name="ranking"),
    path("bulletin/", ranking_views.bulletin, name="bulletin"),
    path("bulletin.xlsx", ranking_views.bulletin_export, name="bulletin-export"),
]
