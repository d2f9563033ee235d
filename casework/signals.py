"""Signals casework sends so that other parts can follow what happens to cases.

A step writes its one event with ``save()`` (Django's ``post_save``); the deadline scan writes its
events in bulk, which sends no ``post_save``, so it sends :data:`case_events_recorded` instead.
"""

from django.dispatch import Signal

# Sent with ``events``: the CaseEvent rows just written in bulk (inside their transaction).
case_events_recorded = Signal()
