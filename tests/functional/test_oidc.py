"""Single sign-on against a real OpenID Provider on loopback (panva/oidc-provider, OpenID
Certified): discovery, the authorization code flow with PKCE, the ID token checked against the
provider's published keys. The provider's login page is driven over HTTP, as a browser would."""

from __future__ import annotations

import http.cookiejar
import json
import re
import socket
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.functional.conftest import Harness
from tests.oidc import provider
from tests.support import Browser

BASE = "http://127.0.0.1:8765"  # the app's public URL as the provider knows it (the app runs in-process)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def idp() -> Iterator[provider.RunningProvider]:
    running = provider.start(port=_free_port(), redirect_uri=f"{BASE}/signin/oidc/callback")
    yield running
    running.stop()


@pytest.fixture
def sso(harness: Harness, idp: provider.RunningProvider, monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    from chalicelib import credentials
    from chalicelib.settings import get_settings

    monkeypatch.setenv("SHAREDWATCH_OIDC_ISSUER", idp.issuer)
    monkeypatch.setenv("SHAREDWATCH_OIDC_CLIENT_ID", idp.client_id)
    monkeypatch.setenv("SHAREDWATCH_PUBLIC_BASE_URL", BASE)
    get_settings.cache_clear()
    settings = get_settings()
    boto3.client("ssm", region_name=settings.region).put_parameter(
        Name=settings.parameter_name("oidc_client_secret"), Value=idp.client_secret, Type="SecureString"
    )
    credentials.clear_cache()
    yield harness
    monkeypatch.undo()
    get_settings.cache_clear()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class ProviderBrowser:
    """The person's browser at the provider: its cookies, its login form."""

    def __init__(self) -> None:
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirects()
        )

    def open(self, url: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        try:
            with self.opener.open(url, data=data, timeout=10) as answer:
                return answer.status, answer.headers.get("Location", ""), answer.read().decode()
        except urllib.error.HTTPError as exc:  # 3xx land here without a redirect handler
            return exc.code, exc.headers.get("Location", ""), exc.read().decode()

    def sign_in(self, authorize_url: str, login: str) -> str:
        """Follow the provider to its login page, sign in, and return where it sends us back."""
        url = authorize_url
        for _ in range(10):
            status, location, body = self.open(url)
            if status in (302, 303) and location.startswith(BASE):
                return location
            if status in (302, 303):
                url = urllib.parse.urljoin(url, location)
                continue
            form = re.search(r'<form[^>]*action="([^"]+)"', body)
            assert form and 'name="login"' in body, body[:500]
            hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', body))
            status, location, body = self.open(
                urllib.parse.urljoin(url, form.group(1)), {**hidden, "login": login, "password": "any"}
            )
            assert status in (302, 303), body[:500]
            url = urllib.parse.urljoin(url, location)
        raise AssertionError("the provider never sent the browser back")


def _start(h: Harness) -> tuple[Browser, str]:
    browser = Browser(h.client.http)
    page = browser.get("/signin?next=/me")
    assert "Sign in with" in page.body.decode()
    started = browser.get("/signin/sso?next=/me")
    assert started.status_code == 302
    url = started.headers["Location"]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert query["scope"] == ["openid email profile"] and query["state"] and query["nonce"]
    return browser, url


def test_a_person_signs_in_with_the_company_provider(sso: Harness) -> None:
    browser, url = _start(sso)
    back = ProviderBrowser().sign_in(url, "Lena@Example.com")
    answer = browser.get(back.removeprefix(BASE))
    assert answer.status_code == 303, answer.body.decode()[-400:]
    assert answer.headers["Location"] == "/me"
    me = json.loads(browser.api("GET", "/api/me").body)
    assert me["id"] == "lena@example.com" and me["role"] == "everyone" and me["via"] == "session"
    # The provider's answer is single use: replayed, it signs nobody in.
    again = Browser(sso.client.http)
    again.jar = {k: v for k, v in browser.jar.items() if k.endswith("sw_browser")}
    assert again.get(back.removeprefix(BASE)).status_code == 401


def test_an_answer_for_another_browser_or_an_outside_address_signs_nobody_in(sso: Harness) -> None:
    browser, url = _start(sso)
    back = ProviderBrowser().sign_in(url, "lena@example.com")
    stranger = Browser(sso.client.http)  # the answer arrives in a browser that did not start it
    stranger.get("/signin")
    refused = stranger.get(back.removeprefix(BASE))
    assert refused.status_code == 401 and not stranger.session

    browser, url = _start(sso)
    back = ProviderBrowser().sign_in(url, "mallory@evil.test")
    outside = browser.get(back.removeprefix(BASE))
    assert outside.status_code == 401 and "company address" in outside.body.decode() and not browser.session


def test_a_forged_code_is_refused_by_the_provider(sso: Harness) -> None:
    browser, url = _start(sso)
    state = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["state"][0]
    forged = browser.get(f"/signin/oidc/callback?code=not-a-code&state={state}")
    assert forged.status_code == 401 and not browser.session
