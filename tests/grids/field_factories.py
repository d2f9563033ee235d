"""Factories and helpers of the field-work tests (patrols, hidden dangers, mobilization)."""

from __future__ import annotations

from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from grids import danger_services, mobilization_services
from grids.models import CheckUnit, MobilizationKind, Patrol

QUESTIONS = [
    {"label": "地下室是否积水", "type": "yes_no"},
    {"label": "排水是否畅通", "type": "yes_no"},
    {"label": "需转移人数", "type": "number", "min": 0, "max": 500, "required": False},
    {"label": "房屋用途", "type": "choice", "choices": "自住、出租、空置"},
    {"label": "其他问题", "type": "text", "required": False},
]
GOOD_ANSWERS = {"q1": "no", "q2": "yes", "q3": 0, "q4": "自住"}


def jpeg(name: str = "photo.jpg", *, color="red") -> SimpleUploadedFile:
    buffer = BytesIO()
    Image.new("RGB", (40, 30), color).save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def open_patrol(worker, area, *, started_at=None) -> Patrol:
    return Patrol.objects.create(worker=worker, area=area, started_at=started_at or timezone.now())


def danger(actor, area, **kwargs):
    values = {
        "title": "楼道堆放杂物",
        "category": "fire",
        "area": area,
        "address": "1单元楼道",
    }
    values.update(kwargs)
    return danger_services.danger_report(actor=actor, **values)


def task(actor, area, **kwargs):
    values = {
        "title": "汛期防汛安全排查",
        "kind": MobilizationKind.FLOOD,
        "area": area,
        "questions": QUESTIONS,
        "unit": CheckUnit.BUILDING,
    }
    values.update(kwargs)
    return mobilization_services.task_issue(actor=actor, **values)
