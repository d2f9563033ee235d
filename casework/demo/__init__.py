"""The demo part of case handling, registered with ``seed_demo`` in the app's config: the
categories, people and a year of cases (:mod:`.cases`), and their deadlines (:mod:`.deadlines`).
Nothing at runtime imports it."""

from casework.demo.assessment import seed_assessment, seed_stats_rollup
from casework.demo.cases import seed_casework
from casework.demo.deadlines import seed_deadlines
from casework.demo.exports import seed_case_exports

__all__ = [
    "seed_assessment",
    "seed_case_exports",
    "seed_casework",
    "seed_deadlines",
    "seed_stats_rollup",
]
