"""The import pages (mounted at /people/import/): templates, upload with a preview of every row's
problems, apply when the whole file is valid. The uploaded file waits in private storage between
the preview and the apply, under a random name bound to the uploader. A file of more than
``imports.SYNC_MAX_ROWS`` rows becomes a background job (grids.import_jobs): its page polls the
job's progress (JSON) and lists its rows' problems."""

from __future__ import annotations

import os
import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from governance import exports
from governance.scopes import visible
from grids import import_jobs, imports
from grids.models import ImportKind, ImportRun


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What the file holds"), choices=ImportKind)
    file = forms.FileField(
        label=gettext_lazy("File (.xlsx or .csv)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )


def _require_keeper(user) -> None:
    if not imports.kinds_for(user):
        raise PermissionDenied


def _stored_name(user, token: str, ext: str) -> str:
    return f"imports/{user.pk}/{token}{ext}"


@login_required
def import_start(request):
    """Upload a file and read its preview."""
    _require_keeper(request.user)
    form = UploadForm(request.POST or None, request.FILES or None)
    kinds = imports.kinds_for(request.user)
    form.fields["kind"].choices = kinds
    preview = token = None
    status = 200
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        kind = form.cleaned_data["kind"]
        try:
            dataset = imports.read_upload(upload)
            if dataset.height > imports.SYNC_MAX_ROWS:
                run = import_jobs.job_start(
                    user=request.user, kind=kind, upload=upload, dataset=dataset
                )
                return redirect("people:import_job", pk=run.pk)
            preview = imports.import_preview(user=request.user, kind=kind, dataset=dataset)
        except ValidationError as exc:
            form.add_error("file", exc.message_dict.get("file", exc.messages))
            status = 400
        else:
            if preview.valid:
                ext = os.path.splitext(upload.name)[1].lower()
                token = f"{uuid.uuid4().hex}{ext}"
                upload.seek(0)
                default_storage.save(
                    _stored_name(request.user, token, ""), ContentFile(upload.read())
                )
            else:
                status = 400
    elif request.method == "POST":
        status = 400
    runs = visible(request.user, ImportRun.objects.select_related("user"))[:10]
    return render(
        request,
        "grids/people/import.html",
        {
            "form": form,
            "preview": preview,
            "token": token,
            "file_name": request.FILES["file"].name if preview else "",
            "runs": runs,
            "kinds": kinds,
            "sync_max_rows": imports.SYNC_MAX_ROWS,
        },
        status=status,
    )


@login_required
@require_POST
def import_apply(request):
    _require_keeper(request.user)
    token = request.POST.get("token", "")
    kind = request.POST.get("kind", "")
    if kind not in ImportKind.values or not token.replace(".", "").isalnum():
        raise Http404
    name = _stored_name(request.user, token, "")
    if not default_storage.exists(name):
        messages.error(request, _("The uploaded file has expired: upload it again."))
        return redirect("people:import")
    with default_storage.open(name, "rb") as handle:
        upload = SimpleUploadedFile(token, handle.read())
    try:
        dataset = imports.read_upload(upload)
        run = imports.import_apply(
            user=request.user,
            kind=kind,
            dataset=dataset,
            file_name=request.POST.get("file_name", token),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("people:import")
    finally:
        default_storage.delete(name)
    messages.success(
        request,
        _("Imported: %(new)d new, %(updated)d changed, %(skipped)d unchanged.")
        % {"new": run.new_rows, "updated": run.updated_rows, "skipped": run.skipped_rows},
    )
    return redirect("people:import")


@login_required
@require_GET
def import_template(request, kind: str):
    """An .xlsx template: the Chinese headers and an example row."""
    _require_keeper(request.user)
    if kind not in dict(imports.kinds_for(request.user)):
        raise Http404
    spec = imports.SPECS[kind]
    headers = imports.template_headers(kind)
    text_columns = [i for i, h in enumerate(headers) if h in spec.text_columns]
    return exports.spreadsheet_response(
        filename=str(spec.template_name),
        headers=headers,
        rows=[spec.example],
        sheet_title=str(spec.template_name),
        text_columns=text_columns,
    )


def _job(request, pk: int) -> ImportRun:
    _require_keeper(request.user)
    return get_object_or_404(visible(request.user, ImportRun.objects.select_related("user")), pk=pk)


@login_required
@require_GET
def import_job(request, pk: int):
    """A background import: its progress (updated by static/js/import-progress.js) and, once it
    has failed, its rows' problems."""
    run = _job(request, pk)
    return render(
        request,
        "grids/people/import_job.html",
        {"run": run, "status": import_jobs.progress(run)},
    )


@login_required
@require_GET
def import_job_progress(request, pk: int):
    """The job's progress as JSON (state, rows done of all, problems once failed)."""
    return JsonResponse(import_jobs.progress(_job(request, pk)))
