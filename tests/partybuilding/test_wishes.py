import re
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from partybuilding import services
from partybuilding.models import MicroWish
from tests.partybuilding.factories import WishFactory


def test_a_wish_is_claimed_then_fulfilled(party):
    wish = WishFactory(area=party.tree.building_a1)
    wish = services.wish_claim(actor=party.officer_a, wish=wish, member=party.member_a)
    assert wish.status == "claimed" and wish.claimant == party.member_a
    wish = services.wish_fulfil(actor=party.officer_a, wish=wish, note="已送到老人家中")
    assert wish.status == "fulfilled" and wish.fulfilled_at is not None


def test_a_claimed_wish_cannot_be_claimed_again(party):
    wish = WishFactory(area=party.tree.building_a1)
    services.wish_claim(actor=party.officer_a, wish=wish, member=party.member_a)
    with pytest.raises(ValidationError):
        services.wish_claim(actor=party.officer_a, wish=wish, unit=party.unit_a)
    wish.refresh_from_db()
    assert wish.claimed_by_member == party.member_a and wish.claimed_by_unit is None


def test_a_released_wish_goes_back_on_the_wall(party):
    wish = WishFactory(area=party.tree.building_a1)
    services.wish_claim(actor=party.officer_a, wish=wish, member=party.member_a)
    wish = services.wish_release(actor=party.officer_a, wish=wish)
    assert wish.status == "published" and wish.claimant is None
    services.wish_claim(actor=party.officer_a, wish=wish, unit=party.unit_a)


def test_a_wish_needs_exactly_one_claimant(party):
    wish = WishFactory(area=party.tree.building_a1)
    with pytest.raises(ValidationError):
        services.wish_claim(
            actor=party.officer_a, wish=wish, member=party.member_a, unit=party.unit_a
        )
    with pytest.raises(ValidationError):
        services.wish_claim(actor=party.officer_a, wish=wish)


def test_an_open_wish_cannot_be_fulfilled(party):
    wish = WishFactory(area=party.tree.building_a1)
    with pytest.raises(ValidationError):
        services.wish_fulfil(actor=party.officer_a, wish=wish, note="已完成")


def test_an_officer_of_another_community_cannot_claim(party):
    wish = WishFactory(area=party.tree.building_a1)
    with pytest.raises(PermissionDenied):
        services.wish_claim(actor=party.officer_b, wish=wish, member=party.member_b)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_claims_one_wins(party):
    wish = WishFactory(area=party.tree.building_a1)
    barrier = threading.Barrier(2)
    results: list[str] = []

    def claim(**claimant):
        try:
            barrier.wait()
            services.wish_claim(
                actor=party.officer_a, wish=MicroWish.objects.get(pk=wish.pk), **claimant
            )
            results.append("won")
        except ValidationError:
            results.append("lost")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=claim, kwargs={"member": party.member_a}),
        threading.Thread(target=claim, kwargs={"unit": party.unit_a}),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["lost", "won"]
    wish.refresh_from_db()
    assert wish.status == "claimed"
    assert (wish.claimed_by_member_id is None) != (wish.claimed_by_unit_id is None)


def _buttons(html: str, marker: str) -> set[str]:
    """The steps offered on the card (or row) that contains ``marker``."""
    card = next(part for part in html.split("<article")[1:] if marker in part)
    steps = set(re.findall(r'name="action" value="(\w+)"', card))
    if "claim=" in card:
        steps.add("claim")
    return steps


def test_the_wall_offers_exactly_the_steps_the_service_allows(client, party):
    published = WishFactory(area=party.tree.building_a1, title="一副老花镜")
    claimed = WishFactory(area=party.tree.building_a1, title="修好轮椅")
    services.wish_claim(actor=party.officer_a, wish=claimed, member=party.member_a)
    fulfilled = WishFactory(area=party.tree.building_a1, title="一台收音机")
    services.wish_claim(actor=party.officer_a, wish=fulfilled, unit=party.unit_a)
    services.wish_fulfil(actor=party.officer_a, wish=fulfilled, note="已送到")
    client.force_login(party.officer_a)
    html = client.get("/party/wishes/").content.decode()
    assert _buttons(html, published.title) == {"claim", "withdraw"}
    assert _buttons(html, claimed.title) == {"fulfil", "release", "withdraw"}
    assert _buttons(html, fulfilled.title) == set()
    # Each step the card offers is one the service takes.
    services.wish_withdraw(actor=party.officer_a, wish=claimed)
    assert MicroWish.objects.get(pk=claimed.pk).status == "withdrawn"
