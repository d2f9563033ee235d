"""The demo's houses and residents: valid, linked, tagged and visited, made once."""

from __future__ import annotations

import pytest

from governance.demo import DemoContext, seeders
from grids.demo import residents as demo
from grids.models import Household, Resident, Room, Visit
from grids.models.residents import resident_id_problem


class Quiet:
    def write(self, text):
        pass


@pytest.mark.django_db
def test_the_demo_registers_residents_once(monkeypatch):
    monkeypatch.setattr(demo, "DEFAULT_RESIDENTS", 400)
    ctx = DemoContext(stdout=Quiet())
    # The street, then the register (visits need the casework demo's grid workers: left out).
    for order, _name, seeder in seeders():
        if order in (10, 26):
            seeder(ctx)
    assert 300 <= Resident.objects.count() <= 600
    numbers = list(Resident.objects.values_list("id_number", flat=True)[:200])
    assert all(resident_id_problem(n) is None for n in numbers)
    assert not Household.objects.filter(householder__isnull=True).exists()
    assert Room.objects.filter(owner__isnull=False).exists()
    assert Resident.objects.filter(care_tags__isnull=False).exists()
    counts = (Resident.objects.count(), Visit.objects.count(), Room.objects.count())
    demo.seed_residents(ctx)
    assert (Resident.objects.count(), Visit.objects.count(), Room.objects.count()) == counts
