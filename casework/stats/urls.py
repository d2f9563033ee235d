from django.urls import path

from casework.stats import ranking_views, views, wall_views

app_name = "stats"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export.xlsx", views.dashboard_export, name="export"),
    path("map/cases/", views.dashboard_map_cases, name="map-cases"),
    path("ranking/", ranking_views.ranking_page, name="ranking"),
    path("bulletin/", ranking_views.bulletin, name="bulletin"),
    path("wall-links/", wall_views.wall_links, name="wall-links"),
    path("wall-links/<int:pk>/revoke/", wall_views.wall_link_revoke, name="wall-link-revoke"),
    path("bulletin.xlsx", ranking_views.bulletin_export, name="bulletin-export"),
]
