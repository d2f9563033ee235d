from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from factory.django import DjangoModelFactory
from PIL import Image

from casework.models import Case, Category, Holder, Priority, Source, Status, TimeLimit
from casework.services import case_levels, next_case_number


class CategoryFactory(DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"C{n:03d}")
    name = factory.Sequence(lambda n: f"类别{n}")
    parent = None


class TimeLimitFactory(DjangoModelFactory):
    class Meta:
        model = TimeLimit

    category = factory.SubFactory(CategoryFactory)
    priority = Priority.NORMAL
    accept_hours = Decimal("2")
    dispatch_hours = Decimal("2")
    acknowledge_hours = Decimal("2")
    handle_hours = Decimal("40")


class CaseFactory(DjangoModelFactory):
    """A case put directly in any state (no events): for tests of steps and reads.

    Cases that go through the workflow are made with ``casework.services.case_report``.
    """

    class Meta:
        model = Case

    title = factory.Sequence(lambda n: f"测试案件{n}")
    category = factory.SubFactory(CategoryFactory)
    source = Source.PATROL
    priority = Priority.NORMAL
    status = Status.REPORTED
    holder = Holder.COMMUNITY
    address = "青松里1号楼东侧"
    reporter_name = "张大爷"
    reported_at = factory.LazyFunction(timezone.now)

    class Params:
        # The street, community and grid above the area, as filing keeps them (one query).
        levels = factory.LazyAttribute(lambda case: case_levels(case.area))

    street = factory.LazyAttribute(lambda case: case.levels["street"])
    community = factory.LazyAttribute(lambda case: case.levels["community"])
    grid = factory.LazyAttribute(lambda case: case.levels["grid"])

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # A street, community or grid given by a test must be the one filing would keep: the
        # community and grid scopes read them (a test of stale keys writes them by update()).
        levels = {name: kwargs.get(name) for name in ("street", "community", "grid")}
        if levels != case_levels(kwargs["area"]):
            raise ValueError(f"levels {levels} are not those above {kwargs['area']}")
        return super()._create(model_class, *args, **kwargs)

    @factory.lazy_attribute
    def number(self):
        return next_case_number(street=self.street, year=timezone.localtime().year)[0]


def jpeg_upload(name: str = "photo.jpg", *, size=(32, 24), color="green", exif=None):
    buffer = BytesIO()
    image = Image.new("RGB", size, color)
    if exif is not None:
        image.save(buffer, format="JPEG", exif=exif)
    else:
        image.save(buffer, format="JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def spread_cases(tree, categories, departments, count: int = 12) -> list[Case]:
    """``count`` cases of one building, category and department, reported over the last five
    days at different hours (the rollup tests' workload)."""
    now = timezone.now()
    return [
        CaseFactory(
            area=tree.building_a1,
            category=categories.garbage,
            department=departments.a,
            reported_at=now - timedelta(days=n % 5, hours=n),
        )
        for n in range(count)
    ]
