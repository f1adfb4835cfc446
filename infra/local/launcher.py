"""Start the local stack as a child process, as `make run` would, on free ports: what the e2e
tests and the benchmarks that need the whole stack share."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.local.stack import ROOT, free_port


class StackDidNotStart(RuntimeError):
    """Carries the stack's own output, whose last line says why."""


KEPT_LINES = 5000  # of the stack's output, after READY


@dataclass
class RunningStack:
    proc: subprocess.Popen[str]
    state: Path
    credentials: dict[str, Any]
    output: list[str]
    drain: threading.Thread | None = None

    def stop(self) -> tuple[int, str]:
        """Ctrl-C, as a person would; the exit code and what it printed while stopping."""
        mark = len(self.output)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        code = self.proc.wait(timeout=90)  # a loaded machine: the pump finishes its batch first
        if self.drain is not None:
            self.drain.join(timeout=10)
        return code, "".join(self.output[mark:])


def _keep_reading(proc: subprocess.Popen[str], output: list[str]) -> None:
    """Read the stack's output for as long as it runs: a pipe nobody reads fills up (64 KB), and
    the stack's next log line then blocks its stream pump, so the router stops."""
    assert proc.stdout is not None
    for line in proc.stdout:
        output.append(line)
        if len(output) > KEPT_LINES * 2:
            del output[: len(output) - KEPT_LINES]


def clean_environment() -> dict[str, str]:
    # The stack sets everything AWS-related itself.
    return {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SHAREDWATCH_"))}


def launch(
    state: Path, *, port: int | None = None, timeout: float = 120.0, extra_args: tuple[str, ...] = ()
) -> RunningStack:
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
        *extra_args,
    ]
    proc = subprocess.Popen(
        argv, cwd=ROOT, env=clean_environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output: list[str] = []
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    for line in proc.stdout:
        output.append(line)
        if line.strip() == "READY" or time.monotonic() > deadline:
            break
    if not output or output[-1].strip() != "READY":
        proc.kill()
        raise StackDidNotStart("the local stack did not start:\n" + "".join(output[-40:]))
    drain = threading.Thread(target=_keep_reading, args=(proc, output), name="stack-output", daemon=True)
    drain.start()
    return RunningStack(proc, state, json.loads((state / "credentials.json").read_text()), output, drain)
