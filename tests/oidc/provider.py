"""Run the real OpenID Provider (tests/oidc/server.mjs: panva/oidc-provider) on loopback."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass
class RunningProvider:
    issuer: str
    client_id: str
    client_secret: str
    process: subprocess.Popen[str]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start(*, port: int, redirect_uri: str, client_id: str = "sharedwatch", client_secret: str = "") -> RunningProvider:
    node = shutil.which("node")
    assert node, "node is missing: the sign-in tests run a real OpenID Provider on Node"
    assert (HERE / "node_modules" / "oidc-provider").is_dir(), "run `npm ci --prefix tests/oidc` (make test does)"
    secret = client_secret or "s3cret-" + "x" * 32
    process = subprocess.Popen(
        [node, str(HERE / "server.mjs"), str(port), client_id, secret, redirect_uri],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 30
    line = process.stdout.readline()
    while not line.startswith("ready ") and time.monotonic() < deadline and process.poll() is None:
        line = process.stdout.readline()
    if not line.startswith("ready "):
        process.kill()
        raise RuntimeError(f"the OpenID Provider did not start: {line!r}")
    threading.Thread(target=process.stdout.read, daemon=True).start()  # a full pipe would stall it
    return RunningProvider(issuer=line.split()[1], client_id=client_id, client_secret=secret, process=process)
