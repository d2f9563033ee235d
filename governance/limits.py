"""How much a request may send, checked before anything reads the body.

A body larger than its view allows is refused with 413 from its Content-Length, before the
CSRF check, a form or a parser reads it. Form and JSON bodies may hold at most
DATA_UPLOAD_MAX_MEMORY_SIZE (Django's limit, which DRF's parsers do not apply themselves);
multipart bodies (uploads) at most MAX_UPLOAD_BODY, or what a view sets with
:func:`body_limit`. Images are then checked one by one by governance.images (bytes, pixels read
from the header, count per request) before any is decoded.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _


def body_limit(max_bytes: int):
    """Allow ``max_bytes`` of multipart body to a view (a function or a DRF ``as_view()``)."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            return view(*args, **kwargs)

        wrapper.max_upload_body = max_bytes
        return wrapper

    return decorate


class RequestBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length <= 0:
            return None
        if request.content_type == "multipart/form-data":
            limit = getattr(view_func, "max_upload_body", settings.MAX_UPLOAD_BODY)
        else:
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is None or length <= limit:
            return None
        message = _("The request is too large (%(size)s); at most %(limit)s are accepted.") % {
            "size": filesizeformat(length),
            "limit": filesizeformat(limit),
        }
        if request.path.startswith("/api/") or request.path.startswith("/open311/"):
            return JsonResponse({"detail": message}, status=413)
        return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
