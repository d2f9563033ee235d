import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import grant_admin_site_access


@pytest.fixture
def api():
    """``api(user)``: a DRF client signed in as ``user`` (None: anonymous)."""

    def make(user=None):
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


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
