from __future__ import annotations

import json
import re
import smtplib
import socket
import time
import urllib.error
import urllib.request
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from infra.local.launcher import RunningStack, StackDidNotStart, launch
from tests.support import MENTION, envelope, fresh, signed_headers


def _request(
    url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None, method: str | None = None
) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _outbox(stack: RunningStack) -> list[dict[str, Any]]:
    status, _, body = _request(stack.credentials["base_url"] + "/local/outbox")
    assert status == 200
    return json.loads(body)["deliveries"]  # type: ignore[no-any-return]


def _wait_for(stack: RunningStack, predicate: Any, timeout: float = 2.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        entries = _outbox(stack)
        if predicate(entries) or time.monotonic() > deadline:
            return entries
        time.sleep(0.05)


def _post_mention(stack: RunningStack, data: dict[str, Any], msg_id: str | None = None) -> tuple[int, bytes]:
    body = envelope(data)
    headers = signed_headers(body, secret=stack.credentials["sources"]["generic"], msg_id=msg_id)
    status, _, answer = _request(stack.credentials["base_url"] + "/webhooks/generic", data=body, headers=headers)
    return status, answer


def test_credentials_file_has_everything_a_user_needs(stack: RunningStack) -> None:
    creds = stack.credentials
    for key in ("base_url", "smtp", "admin_token", "display_token", "reports_address", "company_domain", "sources"):
        assert creds[key], key
    assert creds["sources"]["generic"].startswith("whsec_")
    assert (Path(stack.state) / "credentials.json").stat().st_mode & 0o077 == 0
    status, _, body = _request(creds["base_url"] + "/health")
    assert status == 200 and json.loads(body)["checks"]["dynamodb"] == "ok"


def test_a_signed_mention_reaches_the_outbox_within_2_seconds_and_only_once(stack: RunningStack) -> None:
    data = {**fresh(MENTION), "id": "e2e-1", "url": "", "text": "Flight delayed four hours, @brand"}
    started = time.monotonic()
    status, answer = _post_mention(stack, data, msg_id="msg_e2e_1")
    assert status == 202, answer

    def mine(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [e for e in entries if "Flight delayed four hours" in e.get("email", "")]

    entries = _wait_for(stack, lambda es: len(mine(es)) >= 2)
    assert time.monotonic() - started < 2.0
    assert sorted(e["group"] for e in mine(entries)) == ["operations", "social-team"]
    again, answer = _post_mention(stack, data, msg_id="msg_e2e_1")
    assert again == 202 and json.loads(answer)["duplicates"] == 1
    time.sleep(1.0)
    assert len(mine(_outbox(stack))) == 2


def test_bad_input_answers_problem_json(stack: RunningStack) -> None:
    base = stack.credentials["base_url"]
    body = envelope()
    cases = [
        ("/webhooks/nope", body, signed_headers(body), 404),
        ("/webhooks/generic", body, {**signed_headers(body), "webhook-signature": "v1,AAAA"}, 401),
        ("/webhooks/generic", b"{", signed_headers(b"{", secret=stack.credentials["sources"]["generic"]), 400),
        ("/webhooks/generic", body, {**signed_headers(body), "content-type": "text/plain"}, 415),
    ]
    for path, data, headers, expected in cases:
        status, response_headers, answer = _request(base + path, data=data, headers=headers)
        assert status == expected, (path, answer)
        assert response_headers["Content-Type"] == "application/problem+json"
        assert json.loads(answer)["status"] == expected


def test_the_report_form_round_trip_over_http(stack: RunningStack) -> None:
    base = stack.credentials["base_url"]
    status, headers, page = _request(base + "/report", headers={"accept": "text/html"})
    assert status == 200 and "default-src 'none'" in headers["Content-Security-Policy"]
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.decode()))
    fields = {**hidden, "text": "Customer filmed our gate agent, e2e form", "urgency": "urgent"}
    status, _, receipt = _request(
        base + "/report",
        data=urlencode(fields).encode(),
        headers={"content-type": "application/x-www-form-urlencoded", "accept": "text/html"},
    )
    assert status == 201
    tracking = re.search(r'href="report/([a-z2-7]{16})"', receipt.decode())
    assert tracking
    status, _, status_page = _request(f"{base}/report/{tracking.group(1)}", headers={"accept": "text/html"})
    assert status == 200 and "Customer filmed our gate agent" in status_page.decode()
    entries = _wait_for(stack, lambda es: sum("e2e form" in e.get("email", "") for e in es) >= 1)
    # "urgent" from an anonymous form is kept, but routed as normal: it cannot page the crisis team
    # (the same batch would have told both groups at once).
    assert sorted(e["group"] for e in entries if "e2e form" in e.get("email", "")) == ["social-team"]


def test_mail_to_the_reports_address_is_routed_and_spoofs_are_not(stack: RunningStack) -> None:
    smtp = stack.credentials["smtp"]
    domain = stack.credentials["company_domain"]
    good = EmailMessage()
    good["From"], good["To"], good["Subject"] = f"dana@{domain}", stack.credentials["reports_address"], "e2e mail"
    good.set_content("Look at https://twitter.com/someone/status/5 please")
    spoof = EmailMessage()
    spoof["From"], spoof["To"], spoof["Subject"] = f"ceo@{domain}", stack.credentials["reports_address"], "e2e spoof"
    spoof.set_content("wire the money")
    with smtplib.SMTP(smtp["host"], smtp["port"], timeout=10) as client:
        client.send_message(good)
        client.send_message(spoof, from_addr="mallory@attacker.test")
    entries = _wait_for(stack, lambda es: any("e2e mail" in (e.get("subject") or "") for e in es))
    assert any("e2e mail" in (e.get("subject") or "") for e in entries)
    # The employee who sent it gets a receipt (SES; the local outbox shows it) with the status link.
    receipts = _wait_for(stack, lambda es: any(e.get("to") == f"dana@{domain}" for e in es))
    [receipt] = [e for e in receipts if e.get("to") == f"dana@{domain}"]
    assert receipt["subject"].startswith("We got your report") and "/report/" in receipt["email"]
    time.sleep(0.5)
    outbox = _outbox(stack)
    assert not any("e2e spoof" in (e.get("subject") or "") for e in outbox)
    assert not any(e.get("to") in ("ceo@" + domain, "mallory@attacker.test") for e in outbox)  # quarantined: no receipt


def test_mail_for_another_mailbox_is_refused(stack: RunningStack) -> None:
    smtp = stack.credentials["smtp"]
    with smtplib.SMTP(smtp["host"], smtp["port"], timeout=10) as client:
        client.ehlo()
        code, _ = client.docmd("MAIL FROM:<a@example.com>")
        assert code == 250
        code, message = client.docmd("RCPT TO:<ceo@example.com>")
        assert code == 550 and b"reports@" in message


def test_a_taken_port_stops_the_stack_with_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        try:
            launch(tmp_path, port=port, timeout=30)
        except StackDidNotStart as failure:
            message = str(failure)
        else:
            raise AssertionError("the stack started on a taken port")
    assert f"port {port} (the app) is already in use" in message
    assert "Traceback" not in message


def test_a_crashed_child_stops_the_stack_with_one_clear_line(tmp_path: Path) -> None:
    import os
    import signal

    running = launch(tmp_path)
    port = running.credentials["base_url"].rsplit(":", 1)[1]
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"local" in cmdline and port.encode() in cmdline and b"--stage" in cmdline:
                os.kill(int(pid), signal.SIGKILL)
    code = running.proc.wait(timeout=30)
    assert running.drain is not None
    running.drain.join(timeout=10)  # the launcher reads the stack's output for as long as it runs
    rest = "".join(running.output)
    assert code == 1
    assert "the app (chalice local) exited" in rest
    assert "Traceback" not in rest


def test_the_demo_stream_runs_against_the_stack(stack: RunningStack) -> None:
    from infra.local.demo_stream import main

    assert main(Path(stack.state) / "credentials.json") == 0
    entries = _wait_for(stack, lambda es: any("refund my cancelled flight" in e.get("email", "") for e in es), 5.0)
    campaign = [e for e in entries if "refund my cancelled flight" in e.get("email", "")]
    assert campaign and any("Incident" in e["email"] for e in campaign)


def test_a_chunked_body_is_refused_and_never_read_as_the_next_request(stack: RunningStack) -> None:
    """API Gateway refuses chunked request bodies; chalice local left them in the connection, so
    the next request on it was parsed from the middle of the body (an answer with no status line)."""
    import socket

    port = int(stack.credentials["base_url"].rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(
            b"POST /report HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
            b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 411 ") and b"application/problem+json" in answer
    assert b"<!DOCTYPE" not in answer and answer.count(b"HTTP/1.1") == 1  # closed: nothing read after it
