"""The e2e layer: the local stack as a user starts it (python -m infra.local, what `make run`
runs), on free ports, driven over HTTP and SMTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra.local.launcher import RunningStack, launch


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    # Schedules every 3 s and configuration read fresh, so an escalation or a rule changed
    # through the API shows within a test's patience; everything else as `make run` has it.
    running = launch(
        tmp_path_factory.mktemp("stack"), extra_args=("--schedule-every", "3", "--config-cache-seconds", "0")
    )
    yield running
    code, rest = running.stop()
    assert code == 0, rest
