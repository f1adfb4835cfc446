"""A first deploy, rehearsed on the local stack: `make doctor` lists what would stop messages
(the local stack, like a new AWS account, is in SES's sandbox, may be in SMS's, and its sender
is not verified), each with its fix; `make smoke` then proves the path end to end, a signed
mention and a form report each followed to the delivery log and the inbox, with times."""

from __future__ import annotations

import re
import subprocess
import sys

from infra.local.launcher import RunningStack, clean_environment
from infra.local.stack import ROOT


def _run(*argv: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *argv],
        cwd=ROOT,
        check=False,
        env=clean_environment(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_doctor_lists_each_finding_the_local_stack_has_with_its_fix(stack: RunningStack) -> None:
    done = _run("infra.doctor", "--stage", "local", "--state-dir", str(stack.state))
    assert done.returncode == 1, done.stderr  # something blocks: the exit says so
    out = done.stdout
    titles = "\n".join(re.findall(r"^(?:BLOCKER|WARNING|OK) +(.+)$", out, flags=re.MULTILINE))
    assert re.search(r"^BLOCKER +SES is in its sandbox", out, re.MULTILINE)
    assert re.search(r"^BLOCKER +the sender reports@example\.com is not verified", out, re.MULTILINE)
    assert re.search(r"^WARNING +SMS may be in the sandbox", out, re.MULTILINE)
    assert re.search(r"^OK +the company's identity provider answers", out, re.MULTILINE)  # the stack's own IdP
    for title in ("SES is in its sandbox", "the sender reports@example.com is not verified", "SMS may be in"):
        block = out[out.index(title) :].split("\n")
        assert block[1].strip().startswith("seen: ") and block[2].strip().startswith("fix: "), title
    assert "alarms" in titles


def test_smoke_proves_a_mention_and_a_report_reach_the_delivery_log_and_the_inbox(stack: RunningStack) -> None:
    # the e2e stack reads its routing fresh (--config-cache-seconds 0): no need to let a new rule settle
    done = _run(
        "infra.smoke", "--stage", "local", "--state-dir", str(stack.state), "--route-settle", "0", "--timeout", "60"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert out.rstrip().endswith("PASSED")
    for step in (
        "mention accepted through the API (202)",
        "report accepted by the form (201)",
        "mention → delivery log says sent",
        "report → delivery log says sent",
        "mention → in the inbox (local outbox)",
        "report → in the inbox (local outbox)",
    ):
        timed = re.search(rf"^ +(\d+\.\d\d) s  {re.escape(step)}", out, re.MULTILINE)
        assert timed, (step, out)
        assert float(timed.group(1)) < 30
    # a second run routes again, and its posts are told again (a story of their own)
    again = _run(
        "infra.smoke", "--stage", "local", "--state-dir", str(stack.state), "--route-settle", "0", "--timeout", "60"
    )
    assert again.returncode == 0 and "the new rule" not in again.stdout, again.stdout
