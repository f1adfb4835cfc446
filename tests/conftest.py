"""Test environment: set before anything of the app is imported, since Settings is read once
per process. Functional tests run in-process against moto's mock_aws; e2e tests start the
local stack as a subprocess with its own environment."""

from __future__ import annotations

import os
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"

for _name in list(os.environ):
    if _name.startswith(("AWS_", "SHAREDWATCH_")):
        del os.environ[_name]
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "SHAREDWATCH_STAGE": "test",
        "SHAREDWATCH_COMPANY_DOMAINS": "example.com,example.org",
        "POWERTOOLS_SERVICE_NAME": "sharedwatch",
        "POWERTOOLS_METRICS_NAMESPACE": "sharedwatch",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
)


def pytest_sessionstart(session: object) -> None:
    """Tests run what is deployed: triage compiled by mypyc when it is built (make does), plain
    Python when not; never an extension older than its source, which would test yesterday's rules."""
    import pytest

    from infra import native

    if notice := native.stale_notice():
        pytest.exit(notice, returncode=4)
    # The message catalogues likewise: compiled from their .po files (cheap, a few milliseconds).
    from infra import catalogues

    catalogues.compile_all()
