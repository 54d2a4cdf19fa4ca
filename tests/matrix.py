"""Helpers of the permission-matrix tests: each page or endpoint called by every persona."""

from urllib.parse import quote

from django.urls import reverse


def signed_in(client, user):
    """The client signed in as ``user``; anonymous when ``user`` is None."""
    if user is not None:
        client.force_login(user)
    return client


def assert_login_redirect(response, url: str) -> None:
    """An anonymous visitor is sent to the login page, to come back to ``url``."""
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={quote(url)}"
