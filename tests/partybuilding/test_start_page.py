"""A volunteer without a role starts on their own page; governance only asks its registry."""

from django.urls import reverse

from tests.partybuilding.factories import VolunteerFactory


def test_a_volunteer_without_a_role_lands_on_their_own_page(client, cast, tree):
    VolunteerFactory(user=cast.nobody, area=tree.building_a1)
    client.force_login(cast.nobody)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("partybuilding:me")
    assert client.get(response["Location"]).status_code == 200


def test_a_user_without_role_or_volunteer_profile_still_gets_the_no_role_page(client, cast):
    client.force_login(cast.nobody)
    assert client.get(reverse("home")).status_code == 403


def test_a_volunteer_with_a_role_starts_on_the_role_page(client, cast, tree):
    VolunteerFactory(user=cast.dispatcher_a, area=tree.building_a1)
    client.force_login(cast.dispatcher_a)
    assert client.get(reverse("home"))["Location"] != reverse("partybuilding:me")
