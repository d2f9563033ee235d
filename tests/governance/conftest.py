import pytest
from django.test import Client

from tests.factories import grant_admin_site_access


@pytest.fixture
def site():
    """``site(user)``: a browser-like client signed in as ``user`` (admin pages, web pages)."""

    def make(user, *, admin_access: bool = False):
        if admin_access:
            grant_admin_site_access(user)
        client = Client()
        client.force_login(user)
        return client

    return make
