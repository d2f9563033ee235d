from django import template

from governance.workclock import years_without_calendar

register = template.Library()


@register.simple_tag
def calendar_missing_years() -> list[int]:
    """This year and the next when nobody has entered their holiday calendar."""
    return years_without_calendar()
