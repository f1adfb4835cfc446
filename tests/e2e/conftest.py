"""The e2e layer: the local stack as a user starts it (python -m infra.local, what `make run`
runs), on free ports, driven over HTTP and SMTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stack_environment() -> dict[str, str]:
    # A clean environment: the stack sets everything AWS-related itself.
    return {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SHAREDWATCH_"))}


@dataclass
class RunningStack:
    proc: subprocess.Popen[str]
    state: Path
    credentials: dict[str, Any]
    output: list[str]


def start_stack(state: Path, *, port: int | None = None, timeout: float = 120.0) -> RunningStack:
    argv = [
        sys.executable,
        "-m",
        "infra.local",
        "--port",
        str(port or free_port()),
        "--smtp-port",
        str(free_port()),
        "--moto-port",
        str(free_port()),
        "--state-dir",
        str(state),
        "--quiet",
    ]
    proc = subprocess.Popen(
        argv, cwd=ROOT, env=stack_environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output: list[str] = []
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    for line in proc.stdout:
        output.append(line)
        if line.strip() == "READY":
            break
        if time.monotonic() > deadline:
            break
    if not output or output[-1].strip() != "READY":
        proc.kill()
        raise AssertionError("the local stack did not start:\n" + "".join(output[-40:]))
    credentials = json.loads((state / "credentials.json").read_text())
    return RunningStack(proc=proc, state=state, credentials=credentials, output=output)


def stop_stack(stack: RunningStack) -> tuple[int, str]:
    if stack.proc.poll() is None:
        stack.proc.send_signal(signal.SIGINT)
    rest, _ = stack.proc.communicate(timeout=30)
    return stack.proc.returncode, rest


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(tmp_path_factory.mktemp("stack"))
    yield running
    code, rest = stop_stack(running)
    assert code == 0, rest
