"""The signed-in user's own account page (API tokens, password) and the login lockout answer."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import NON_FIELD_ERRORS
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from governance.api.errors import json_error
from governance.models import ApiToken
from governance.tokens import token_issue, token_revoke, tokens_of

LOCKED_OUT_STATUS = 429


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Token name"),
        max_length=ApiToken._meta.get_field("name").max_length,
        help_text=gettext_lazy("What the token is for, e.g. the 12345 hotline connector."),
    )


def _account_page(request, *, form=None, new_key=None, new_token=None, status=200):
    return TemplateResponse(
        request,
        "account/me.html",
        {
            "tokens": tokens_of(request.user),
            "form": form or TokenForm(),
            "new_key": new_key,
            "new_token": new_token,
            "ttl_days": settings.API_TOKEN_TTL_DAYS,
        },
        status=status,
    )


@never_cache
@login_required
def my_account(request):
    """The user's own page: their API tokens (issue, revoke) and a link to change the password."""
    return _account_page(request)


@never_cache
@login_required
@require_POST
def token_new(request):
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _account_page(request, form=form, status=400)
    token, key = token_issue(user=request.user, name=form.cleaned_data["name"])
    # The key is shown on this one response and never again (never_cache keeps it out of caches).
    return _account_page(request, new_key=key, new_token=token)


@login_required
@require_POST
def token_delete(request, pk: int):
    token = get_object_or_404(tokens_of(request.user), pk=pk)
    token_revoke(token=token)
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("account")


def lockout_message() -> str:
    cooloff = settings.AXES_COOLOFF_TIME
    if cooloff is None:
        return _(
            "Too many failed logins: this account is locked. Ask an administrator to unlock it."
        )
    minutes = max(1, int(cooloff.total_seconds() // 60))
    return ngettext(
        "Too many failed logins: this account is locked for %(minutes)d minute. "
        "Try again later, or ask an administrator to unlock it.",
        "Too many failed logins: this account is locked for %(minutes)d minutes. "
        "Try again later, or ask an administrator to unlock it.",
        minutes,
    ) % {"minutes": minutes}


def locked_out(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out login: the same login page (the portal's or the
    admin's) with the lockout named in place of the usual error, or JSON for the API."""
    message = lockout_message()
    if request.path.startswith("/api/"):
        return json_error(
            request, status_code=LOCKED_OUT_STATUS, code="locked_out", message=message
        )
    context = dict(getattr(original_response, "context_data", None) or {})
    form = context.get("form")
    if isinstance(form, AuthenticationForm) and form.is_bound:
        form.errors[NON_FIELD_ERRORS] = form.error_class([message])
        return TemplateResponse(
            request, original_response.template_name, context, status=LOCKED_OUT_STATUS
        ).render()
    form = AuthenticationForm(request)
    form.errors[NON_FIELD_ERRORS] = form.error_class([message])
    return TemplateResponse(request, "account/login.html", {"form": form}, status=LOCKED_OUT_STATUS)
