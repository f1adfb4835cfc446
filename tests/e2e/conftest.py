"""The e2e layer: the local stack as a user starts it (python -m infra.local, what `make run`
runs), on free ports, driven over HTTP and SMTP."""

from __future__ import annotations

import json
import os
import shutil
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.local.launcher import RunningStack, launch
from infra.local.stack import free_port
from tests.oidc import provider


def admin_api(stack: RunningStack, method: str, path: str, doc: Any = None) -> Any:
    """A JSON call to the stack's API as its first admin (the personal token in its credentials)."""
    request = urllib.request.Request(
        stack.credentials["base_url"] + path,
        data=json.dumps(doc).encode() if doc is not None else None,
        headers={"authorization": f"Bearer {stack.credentials['admin_token']}", "content-type": "application/json"},
        method=method,
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def running_stack(state: Path) -> Iterator[RunningStack]:
    """The stack as `make run` has it, except: schedules every 3 s and configuration read fresh,
    so an escalation or a rule changed through the API shows within a test's patience; and the
    company's identity provider is a real OpenID Provider on loopback. Stops with Ctrl-C, as a
    person would, and must exit cleanly."""
    port = free_port()
    idp = provider.start(port=free_port(), redirect_uri=f"http://127.0.0.1:{port}/signin/oidc/callback")
    oidc = ("--oidc-issuer", idp.issuer, "--oidc-client-id", idp.client_id, "--oidc-client-secret", idp.client_secret)
    try:
        running = launch(state, port=port, extra_args=("--schedule-every", "3", "--config-cache-seconds", "0", *oidc))
        running.idp = idp  # type: ignore[attr-defined]
        yield running
        code, rest = running.stop()
        assert code == 0, rest
    finally:
        idp.stop()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    yield from running_stack(tmp_path_factory.mktemp("stack"))


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's chromium driven by Playwright (`make test` installs chromium when it is missing)."""
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    assert shutil.which(executable), f"{executable} is missing: `make browser` installs Debian's chromium"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield launched
        launched.close()
