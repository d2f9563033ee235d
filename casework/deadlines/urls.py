from django.urls import path

from casework.deadlines import views

app_name = "deadlines"

urlpatterns = [
    path("supervision/", views.desk, name="desk"),
    path("supervision/<int:pk>/", views.order_detail, name="order"),
    path("supervision/<int:pk>/answer/", views.order_answer, name="answer"),
    path("deadline-requests/<int:pk>/decide/", views.request_decide, name="decide"),
    path("<int:pk>/deadline/", views.case_deadline, name="case"),
    path("<int:pk>/deadline/request/", views.request_create, name="request"),
    path("<int:pk>/deadline/resume/", views.resume, name="resume"),
    path("<int:pk>/supervision/new/", views.order_create, name="order_new"),
]
