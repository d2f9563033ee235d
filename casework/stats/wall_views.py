"""The wall screen (``/wall/<key>/``, opened by a link token, no login) and its feed, and the
street administrator's page of wall links (``/dashboard/wall-links/``: make one, revoke one).

The key is read by these two views only: it grants the wall of its area and nothing else.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from casework.stats import maps, wall
from casework.stats.wall_models import WallLinkState
from governance.scopes import scope_of
from grids.models import Area


def _no_referrer(response):
    # The key is in the address: never hand it on to another page or host.
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


# A link that was revoked or ran out is gone for good (410); a key that matches no link, 404.
GONE_STATUS = {WallLinkState.REVOKED: 410, WallLinkState.EXPIRED: 410}


def _gone_status(state: str) -> int:
    return GONE_STATUS.get(state, 404)


@never_cache
@require_GET
def wall_screen(request, key: str):
    token, state = wall.wall_token_lookup(key)
    if state != WallLinkState.LIVE:
        # A full screen that says what happened, in the wall's own dark theme: a wall computer
        # nobody sits at must not show a browser's bare error page.
        context = {"state": state, "message": wall.wall_link_gone_message(state)}
        return _no_referrer(
            render(request, "casework/stats/wall_gone.html", context, status=_gone_status(state))
        )
    wall.wall_token_touch(token=token)
    area = token.area
    children = list(Area.objects.filter(parent=area).order_by(*Area.tree_order()))
    context = {
        "area": area,
        "feed_url": reverse("wall:feed", args=[key]),
        "map_data": {
            "self": maps.geometry(area.boundary),
            "children": [
                {"name": c.name, "geometry": maps.geometry(c.boundary)}
                for c in children
                if c.boundary
            ],
            "center": [float(area.latitude), float(area.longitude)]
            if area.latitude is not None
            else None,
            "tileUrl": settings.MAP_TILE_URL,
            "tileAttribution": settings.MAP_TILE_ATTRIBUTION,
        },
        "poll_seconds": wall.POLL_SECONDS,
        "full_list_seconds": wall.FULL_LIST_SECONDS,
        "new_cases": wall.NEW_CASES,
        "max_backoff_seconds": wall.MAX_BACKOFF_SECONDS,
    }
    return _no_referrer(render(request, "casework/stats/wall.html", context))


@never_cache
@require_GET
def wall_feed(request, key: str):
    token, state = wall.wall_token_lookup(key)
    if state != WallLinkState.LIVE:
        # The page covers the wall with this message and asks again only slowly (a new link is
        # a new address, so nothing else can bring it back).
        return _no_referrer(
            JsonResponse(
                {"error": str(state), "detail": wall.wall_link_gone_message(state)},
                status=_gone_status(state),
            )
        )
    try:
        after = wall.feed_cursor(request.GET.get("after"))
    except ValueError:
        return _no_referrer(
            JsonResponse(
                {
                    "error": "bad_cursor",
                    "detail": _("“after” is the id of a case from an earlier answer."),
                },
                status=400,
            )
        )
    wall.wall_token_touch(token=token)
    return _no_referrer(JsonResponse(wall.wall_feed(token.area, after=after)))


# -- the street administrator's wall links ---------------------------------------------------
class WallTokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("Where the wall hangs, e.g. the grid center's hall."),
    )
    area = forms.ModelChoiceField(label=gettext_lazy("Area"), queryset=Area.objects.none())
    valid_until = forms.DateField(
        label=gettext_lazy("Valid until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy(
            "The last day the link opens the wall (e.g. for a temporary screen); leave empty "
            "to keep it until it is revoked."
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = wall.wall_areas_for(user)

    def expires_at(self):
        """The end of the last valid day (local time), or None."""
        day = self.cleaned_data.get("valid_until")
        if day is None:
            return None
        return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def _wall_admin(user) -> None:
    if not scope_of(user).has_role(*wall.WALL_ADMIN_ROLES):
        raise PermissionDenied(_("Wall links are made by the street's administrator."))


@login_required
@require_http_methods(["GET", "POST"])
def wall_links(request):
    """The wall links of the administrator's street; POST makes a new one and shows its
    address once."""
    user = request.user
    _wall_admin(user)
    form = WallTokenForm(request.POST or None, user=user)
    new_link = None
    if request.method == "POST" and form.is_valid():
        try:
            token, key = wall.wall_token_issue(
                actor=user,
                area=form.cleaned_data["area"],
                name=form.cleaned_data["name"],
                expires_at=form.expires_at(),
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                field = "valid_until" if field == "expires_at" else field
                form.add_error(field if field in form.fields else None, errors)
        else:
            new_link = {
                "token": token,
                "url": request.build_absolute_uri(reverse("wall:screen", args=[key])),
            }
            form = WallTokenForm(user=user)
    status = 400 if request.method == "POST" and form.errors else 200
    now = timezone.now()
    tokens = [(t, t.state(now)) for t in wall.wall_tokens_for(user)[:200]]
    return render(
        request,
        "casework/stats/wall_links.html",
        {"form": form, "tokens": tokens, "new_link": new_link},
        status=status,
    )


@login_required
@require_POST
def wall_link_revoke(request, pk: int):
    user = request.user
    _wall_admin(user)
    token = wall.wall_tokens_for(user).filter(pk=pk).first()
    if token is None:
        raise Http404(_("No such wall link, or it is outside your scope."))
    if wall.wall_token_revoke(actor=user, token=token):
        messages.success(request, _("The wall link “%(name)s” is revoked.") % {"name": token.name})
    return redirect("stats:wall-links")
