"""Field work: patrols, hidden dangers and mobilization tasks (mounted at /field/)."""

from django.urls import path

from grids import danger_views, mobilization_views, patrol_views

app_name = "field"

urlpatterns = [
    path("patrols/", patrol_views.patrol_list, name="patrols"),
    path("patrols/start/", patrol_views.patrol_start, name="patrol_start"),
    path("patrols/<int:pk>/", patrol_views.patrol_detail, name="patrol"),
    path("patrols/<int:pk>/end/", patrol_views.patrol_end, name="patrol_end"),
    path(
        "findings/<int:pk>/photo/<str:size>/",
        patrol_views.finding_photo,
        name="finding_photo",
    ),
    path("dangers/", danger_views.danger_list, name="dangers"),
    path("dangers/new/", danger_views.danger_new, name="danger_new"),
    path("dangers/<int:pk>/", danger_views.danger_detail, name="danger"),
    path("dangers/<int:pk>/steps/<str:step>/", danger_views.danger_step, name="danger_step"),
    path(
        "dangers/<int:pk>/photos/<int:event>/<str:size>/",
        danger_views.danger_photo,
        name="danger_photo",
    ),
    path("tasks/", mobilization_views.task_list, name="tasks"),
    path("tasks/new/", mobilization_views.task_new, name="task_new"),
    path("tasks/<int:pk>/", mobilization_views.task_board, name="task"),
    path("tasks/<int:pk>/board.json", mobilization_views.board_data, name="task_data"),
    path("tasks/<int:pk>/close/", mobilization_views.task_close, name="task_close"),
    path("tasks/<int:pk>/export/", mobilization_views.task_export, name="task_export"),
    path("tasks/<int:pk>/take-part/", mobilization_views.take_part, name="take_part"),
    path(
        "tasks/<int:pk>/buildings/<int:target>/",
        mobilization_views.target_detail,
        name="target",
    ),
    path(
        "tasks/<int:pk>/buildings/<int:target>/sign-up/",
        mobilization_views.target_signup,
        name="target_signup",
    ),
    path(
        "tasks/<int:pk>/buildings/<int:target>/check/",
        mobilization_views.target_check,
        name="target_check",
    ),
    path(
        "tasks/<int:pk>/buildings/<int:target>/complete/",
        mobilization_views.target_complete,
        name="target_complete",
    ),
    path(
        "tasks/<int:pk>/sign-ups/<int:signup>/withdraw/",
        mobilization_views.signup_withdraw,
        name="signup_withdraw",
    ),
    path(
        "reports/<int:pk>/photo/<str:size>/",
        mobilization_views.report_photo,
        name="report_photo",
    ),
]
