"""A volunteer's portal account without a role belongs to the volunteer's home area: its
administrators manage it (before, every street admin could)."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def register_volunteer_users(apps, schema_editor):
    User = apps.get_model("governance", "User")
    Volunteer = apps.get_model("partybuilding", "Volunteer")
    home = Volunteer.objects.filter(user_id=OuterRef("pk")).values("area_id")[:1]
    User.objects.filter(home_area__isnull=True, volunteer__isnull=False).update(
        home_area_id=Subquery(home)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("partybuilding", "0003_agreement_document_checks"),
        ("governance", "0012_owned_departments_and_users"),
    ]

    operations = [migrations.RunPython(register_volunteer_users, migrations.RunPython.noop)]
