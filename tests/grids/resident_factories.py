"""Factories of the resident register: rooms, residents with valid ID numbers, care tags."""

from __future__ import annotations

import datetime as dt

import factory
from factory.django import DjangoModelFactory

from grids.models import CareTag, Resident, ResidentCareTag, Room
from grids.models.residents import id_check_digit


def id_number(birth: dt.date = dt.date(1950, 3, 7), serial: int = 1, region: str = "110105") -> str:
    """A valid 18-digit resident ID number (with its check digit)."""
    first17 = f"{region}{birth:%Y%m%d}{serial % 1000:03d}"
    return first17 + id_check_digit(first17)


class RoomFactory(DjangoModelFactory):
    class Meta:
        model = Room

    number = factory.Sequence(lambda n: f"{n % 30 + 1:02d}{n % 4 + 1:02d}")
    floor = 3


class ResidentFactory(DjangoModelFactory):
    class Meta:
        model = Resident

    name = factory.Sequence(lambda n: f"居民{n}")
    id_number = factory.Sequence(lambda n: id_number(serial=n + 1))
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    gender = "f"
    birth_date = dt.date(1950, 3, 7)
    registered_address = "河北省保定市莲池区裕华西路88号院3号楼"


class CareTagFactory(DjangoModelFactory):
    class Meta:
        model = CareTag
        django_get_or_create = ("street", "name")

    name = "独居老人"
    visit_every_days = 7


def tag(resident, care_tag, since):
    return ResidentCareTag.objects.create(resident=resident, tag=care_tag, since=since)
