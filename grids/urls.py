from django.urls import path

from grids import views

app_name = "grids"

urlpatterns = [
    path("", views.tree, name="tree"),
    path("<int:pk>/", views.area_detail, name="area"),
    path("<int:pk>/children/", views.tree_children, name="children"),
]
