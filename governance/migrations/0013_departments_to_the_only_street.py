"""Existing departments belong to no one. Where the install has exactly one street, they are its
departments; otherwise they stay city-wide (serving every street, managed by superusers only)
until a superuser gives each its owner in the admin."""

from django.apps import apps as global_apps
from django.conf import settings
from django.db import migrations


def assign_to_the_only_street(apps, schema_editor):
    Area = apps.get_model(settings.SCOPE_AREA_MODEL)
    street_kind = global_apps.get_model(settings.SCOPE_AREA_MODEL).STREET_KIND
    streets = list(Area.objects.filter(kind=street_kind).values_list("pk", flat=True)[:2])
    if len(streets) == 1:
        Department = apps.get_model("governance", "Department")
        Department.objects.filter(owner__isnull=True).update(owner_id=streets[0])


class Migration(migrations.Migration):
    dependencies = [("governance", "0012_owned_departments_and_users")]

    operations = [migrations.RunPython(assign_to_the_only_street, migrations.RunPython.noop)]
