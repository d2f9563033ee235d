"""The demo street's party building (registered in partybuilding/apps.py as a part of
``seed_demo``)."""

from partybuilding.demo.compounds import seed_compounds, seed_consortium, seed_unit_points
from partybuilding.demo.positions import seed_positions
from partybuilding.demo.seed import seed_partybuilding
from partybuilding.demo.stations import seed_station

__all__ = [
    "seed_compounds",
    "seed_consortium",
    "seed_partybuilding",
    "seed_positions",
    "seed_station",
    "seed_unit_points",
]
