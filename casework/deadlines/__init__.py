"""Deadlines of cases: time-limit reminders and the deadline scan, extension and suspension
requests, supervision orders (督办单) and the daily digest.

Built on the case core (models, the step table, selectors, the clock), never the other way
round: the case models register the deadline models (``casework.models`` imports them), and the
step service ends a suspension through :func:`casework.deadlines.services.suspension_end_for_new_stage`.
"""
