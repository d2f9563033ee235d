"""The demo street (``seed_demo``): each app keeps the builders of its part in its own ``demo``
package and registers them here from its AppConfig, in dependency order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

DEMO_PASSWORD = "demo-2026"


def give_demo_password(user) -> None:
    """Set the demo password on ``user`` unless they have it already: a new hash on every run
    would be a password change, logged in the change log each time the demo is loaded."""
    if not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)


@dataclass
class DemoContext:
    """What earlier seeders made and later ones build on (the street, users by role, ...)."""

    stdout: object
    data: dict = field(default_factory=dict)
    logins: list[tuple[str, str, str]] = field(default_factory=list)

    def say(self, text: str) -> None:
        self.stdout.write(text)


_seeders: list[tuple[int, str, Callable[[DemoContext], None]]] = []


def register_seeder(order: int, name: str, seeder: Callable[[DemoContext], None]) -> None:
    if name not in {n for _, n, _ in _seeders}:
        _seeders.append((order, name, seeder))


def seeders() -> list[tuple[int, str, Callable[[DemoContext], None]]]:
    return sorted(_seeders, key=lambda s: s[0])
