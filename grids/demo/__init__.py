"""The demo street's areas, grid staff, departments and a user for every role: the first part of
``seed_demo`` (registered in grids/apps.py). The later parts name their people from the same
lists of surnames and given names."""

from grids.demo.street import GIVEN, SURNAMES, seed_grids

__all__ = ["GIVEN", "SURNAMES", "seed_grids"]
