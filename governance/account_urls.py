from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from governance import account_views

urlpatterns = [
    path("accounts/me/", account_views.my_account, name="account"),
    path("accounts/tokens/new/", account_views.token_new, name="account-token-new"),
    path(
        "accounts/tokens/<int:pk>/revoke/",
        account_views.token_delete,
        name="account-token-revoke",
    ),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            template_name="account/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(
            template_name="account/password_change.html",
            success_url=reverse_lazy("password_change_done"),
        ),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="account/password_change_done.html"
        ),
        name="password_change_done",
    ),
]
