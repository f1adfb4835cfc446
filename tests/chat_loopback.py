"""A loopback server that speaks what sharedwatch uses of Slack's Web API and Microsoft's Bot
Connector, Bot Framework login and OpenID metadata, and a Teams Workflows webhook, as their
documentation describes them. It checks each request (method, auth header, required fields, the
Block Kit and Adaptive Card shapes) and answers with the documentation's example payloads
(tests/fixtures/chat/*.json, each with a .source.txt naming the page). A request that breaks the
contract is answered 400 and kept in `violations`, which the tests assert empty.

It also signs Bot Framework tokens with a locally generated RSA key, served as the JWKS, so the
app's JWT check runs against real keys. Used by the functional and e2e tests alike."""

from __future__ import annotations

import copy
import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "chat"
BOT_TOKEN = "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"  # oauth.v2.access's example
TEAMS_APP_ID = "00000000-1111-2222-3333-444444444444"
TEAMS_APP_PASSWORD = "teams-app-password"
BLOCK_TYPES = {"header", "section", "actions", "context", "divider", "input", "image"}


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@dataclass
class Call:
    method: str
    path: str
    api: str  # "chat.postMessage", "teams.post", ...
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class Loopback:
    base: str = ""
    calls: list[Call] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    emails: dict[str, tuple[str, bool]] = field(default_factory=dict)  # user id -> (email, confirmed)
    failures: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)  # api -> answers to give first
    teams_token: str = field(default_factory=lambda: "eyJ" + uuid.uuid4().hex)
    lock: threading.Lock = field(default_factory=threading.Lock)
    private_key: Any = None
    kid: str = "sharedwatch-test-key"
    teams_app_id: str = TEAMS_APP_ID  # the bot registration the loopback's login knows
    teams_app_password: str = TEAMS_APP_PASSWORD

    # -- what the tests read --------------------------------------------------------------------

    def of(self, api: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.api == api]

    def count(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        with self.lock:
            for c in self.calls:
                counts[c.api] = counts.get(c.api, 0) + 1
        return counts

    def fail_next(self, api: str, status: int, headers: dict[str, str] | None = None, times: int = 1) -> None:
        self.failures.setdefault(api, []).extend([(status, headers or {})] * times)

    # -- Bot Framework tokens, signed with the local key ----------------------------------------

    def bot_token(
        self,
        *,
        audience: str = "",
        issuer: str = "https://api.botframework.com",
        expires_in: int = 3600,
        service_url: str = "",
        kid: str = "",
    ) -> str:
        import jwt

        now = int(time.time())
        claims = {
            "iss": issuer,
            "aud": audience or self.teams_app_id,
            "iat": now - 10,
            "nbf": now - 10,
            "exp": now + expires_in,
            "serviceUrl": service_url or self.teams_service_url,
        }
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers={"kid": kid or self.kid})

    @property
    def slack_api_url(self) -> str:
        return f"{self.base}/api/"

    @property
    def teams_service_url(self) -> str:
        return f"{self.base}/teams/"

    def settings_env(self) -> dict[str, str]:
        return {
            "SHAREDWATCH_SLACK_API_URL": self.slack_api_url,
            "SHAREDWATCH_TEAMS_SERVICE_URL": self.teams_service_url,
            "SHAREDWATCH_TEAMS_LOGIN_URL": f"{self.base}/botframework.com/oauth2/v2.0/token",
            "SHAREDWATCH_TEAMS_OPENID_URL": f"{self.base}/v1/.well-known/openidconfiguration",
            "SHAREDWATCH_TEAMS_ISSUER": "https://api.botframework.com",
        }


# -- request checks --------------------------------------------------------------------------------


def _check_blocks(blocks: Any, problems: list[str]) -> None:
    if not isinstance(blocks, list) or not 1 <= len(blocks) <= 50:
        problems.append("blocks: a list of 1-50 blocks")
        return
    for n, block in enumerate(blocks):
        kind = block.get("type") if isinstance(block, dict) else None
        if kind not in BLOCK_TYPES:
            problems.append(f"blocks[{n}].type: {kind!r} is not a block type")
            continue
        if kind == "header" and (block["text"].get("type") != "plain_text" or len(block["text"]["text"]) > 150):
            problems.append(f"blocks[{n}]: a header's text is plain_text of at most 150 characters")
        if kind == "section" and not (block.get("text") or block.get("fields")):
            problems.append(f"blocks[{n}]: a section needs text or fields")
        if kind == "section" and len(block.get("fields", [])) > 10:
            problems.append(f"blocks[{n}]: at most 10 fields")
        if kind == "actions":
            elements = block.get("elements", [])
            if not 1 <= len(elements) <= 25:
                problems.append(f"blocks[{n}]: 1-25 elements")
            ids = [e.get("action_id") for e in elements]
            if len(set(ids)) != len(ids):
                problems.append(f"blocks[{n}]: action_ids must be unique in a block")
            for e in elements:
                if e.get("type") == "button" and (
                    e.get("text", {}).get("type") != "plain_text" or len(e.get("value", "")) > 2000
                ):
                    problems.append(f"blocks[{n}]: a button has plain_text text and a value of at most 2000 characters")


def _check_card(card: Any, problems: list[str]) -> None:
    if not isinstance(card, dict) or card.get("type") != "AdaptiveCard" or not card.get("version"):
        problems.append("attachment content: an AdaptiveCard with a version")
        return
    for n, action in enumerate(card.get("actions", [])):
        if action.get("type") == "Action.Execute":
            if card["version"] < "1.4":
                problems.append("Action.Execute needs an Adaptive Card of version 1.4 or later")
            if not action.get("verb"):
                problems.append(f"actions[{n}]: Action.Execute without a verb")
        elif action.get("type") not in (
            "Action.OpenUrl",
            "Action.Submit",
            "Action.ShowCard",
            "Action.ToggleVisibility",
        ):
            problems.append(f"actions[{n}].type: {action.get('type')!r}")
    for n, item in enumerate(card.get("body", [])):
        if item.get("type") not in ("TextBlock", "FactSet", "ColumnSet", "Container", "Image"):
            problems.append(f"body[{n}].type: {item.get('type')!r}")


def _check_activity(activity: Any, problems: list[str]) -> None:
    if not isinstance(activity, dict) or activity.get("type") != "message":
        problems.append("an activity of type message")
        return
    attachments = activity.get("attachments") or []
    if not attachments and not activity.get("text"):
        problems.append("a message activity needs text or attachments")
    for a in attachments:
        if a.get("contentType") != "application/vnd.microsoft.card.adaptive":
            problems.append(f"attachment contentType {a.get('contentType')!r}")
        _check_card(a.get("content"), problems)


_SLACK_REQUIRED = {
    "chat.postMessage": ("channel",),
    "chat.update": ("channel", "ts"),
    "chat.postEphemeral": ("channel", "user"),
    "views.open": ("trigger_id", "view"),
    "users.info": ("user",),
    "oauth.v2.access": ("code",),
}
_SLACK_ANSWERS = {
    "chat.postMessage": "slack_chat_postMessage.json",
    "chat.update": "slack_chat_update.json",
    "chat.postEphemeral": "slack_chat_postEphemeral.json",
    "views.open": "slack_views_open.json",
    "users.info": "slack_users_info.json",
    "oauth.v2.access": "slack_oauth_v2_access.json",
}


class _Handler(BaseHTTPRequestHandler):
    server: Any

    def log_message(self, *args: Any) -> None:  # quiet
        return

    @property
    def loop(self) -> Loopback:
        return self.server.loopback  # type: ignore[no-any-return]

    def _answer(self, status: int, doc: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _body(self) -> tuple[dict[str, Any], bytes]:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        ctype = self.headers.get("Content-Type", "")
        if "json" in ctype:
            return json.loads(raw or b"{}"), raw
        form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        for k in ("blocks", "view"):
            if isinstance(form.get(k), str):
                form[k] = json.loads(form[k])
        return form, raw

    def _record(self, api: str, body: dict[str, Any]) -> tuple[int, dict[str, str]] | None:
        with self.loop.lock:
            self.loop.calls.append(Call(self.command, self.path, api, dict(self.headers.items()), body))
            queued = self.loop.failures.get(api)
            return queued.pop(0) if queued else None

    def _refuse(self, problems: list[str]) -> bool:
        if problems:
            with self.loop.lock:
                self.loop.violations.extend(f"{self.command} {self.path}: {p}" for p in problems)
            self._answer(400, {"ok": False, "error": "invalid_arguments", "problems": problems})
            return True
        return False

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/v1/.well-known/openidconfiguration":
            doc = fixture("botframework_openid_configuration.json")
            doc["jwks_uri"] = f"{self.loop.base}/v1/.well-known/keys"
            return self._answer(200, doc)
        if path == "/v1/.well-known/keys":
            import jwt

            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.loop.private_key.public_key()))
            return self._answer(
                200, {"keys": [{**jwk, "kid": self.loop.kid, "use": "sig", "endorsements": ["msteams"]}]}
            )
        if path.startswith("/api/"):
            return self._slack(
                path.removeprefix("/api/"), {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
            )
        match = re.fullmatch(r"/teams/v3/conversations/([^/]+)/members/([^/]+)", path)
        if match:
            return self._teams_member(unquote(match.group(2)))
        self._answer(404, {"error": "not found"})

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        body, _ = self._body()
        if path.startswith("/api/"):
            return self._slack(path.removeprefix("/api/"), body)
        if path == "/botframework.com/oauth2/v2.0/token":
            return self._teams_token(body)
        if path.startswith("/teams/v3/conversations/"):
            return self._teams_activity(path, body)
        if path.startswith("/workflows/"):
            problems: list[str] = []
            _check_activity(body, problems)
            self._record("teams.webhook", body)
            if not self._refuse(problems):
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()
            return
        self._answer(404, {"error": "not found"})

    def do_PUT(self) -> None:
        path = urlsplit(self.path).path
        body, _ = self._body()
        if path.startswith("/teams/v3/conversations/"):
            return self._teams_activity(path, body)
        self._answer(404, {"error": "not found"})

    # -- Slack ------------------------------------------------------------------------------------

    def _slack(self, method: str, body: dict[str, Any]) -> None:
        problems: list[str] = []
        auth = self.headers.get("Authorization", "")
        if method == "oauth.v2.access":
            if not (auth.startswith("Basic ") or body.get("client_id")):
                problems.append("oauth.v2.access: client credentials (HTTP Basic or client_id/client_secret)")
        elif auth != f"Bearer {BOT_TOKEN}":
            problems.append("Authorization: Bearer <the workspace's bot token>")
        for name in _SLACK_REQUIRED.get(method, ()):
            if not body.get(name):
                problems.append(f"{method}: {name} is required")
        if method in ("chat.postMessage", "chat.update", "chat.postEphemeral") and not (
            body.get("text") or body.get("blocks")
        ):
            problems.append(f"{method}: text or blocks is required")
        if body.get("blocks") is not None:
            _check_blocks(body["blocks"], problems)
        injected = self._record(method, body)
        if self._refuse(problems):
            return
        if injected:
            return self._answer(injected[0], {"ok": False, "error": "ratelimited"}, injected[1])
        if method not in _SLACK_ANSWERS:
            return self._answer(200, {"ok": False, "error": "unknown_method"})
        answer = copy.deepcopy(fixture(_SLACK_ANSWERS[method]))
        if method == "chat.postMessage":
            answer["channel"] = (
                body["channel"] if not str(body["channel"]).startswith("U") else "D0" + body["channel"][1:]
            )
            answer["ts"] = answer["message"]["ts"] = f"{time.time():.6f}"
        elif method == "chat.update":
            answer["channel"], answer["ts"] = body["channel"], body["ts"]
        elif method == "users.info":
            email, confirmed = self.loop.emails.get(str(body["user"]), ("", False))
            answer["user"]["id"] = body["user"]
            answer["user"]["profile"]["email"] = email
            answer["user"]["is_email_confirmed"] = confirmed
            if not email:
                return self._answer(200, {"ok": False, "error": "user_not_found"})
        self._answer(200, answer)

    # -- Teams --------------------------------------------------------------------------------------

    def _teams_token(self, body: dict[str, Any]) -> None:
        problems = []
        if body.get("grant_type") != "client_credentials":
            problems.append("grant_type: client_credentials")
        if body.get("client_id") != self.loop.teams_app_id or body.get("client_secret") != self.loop.teams_app_password:
            problems.append("client_id and client_secret: the bot's")
        if body.get("scope") != "https://api.botframework.com/.default":
            problems.append("scope: https://api.botframework.com/.default")
        self._record("teams.token", body)
        if self._refuse(problems):
            return
        answer = fixture("botframework_token.json")
        answer["access_token"] = self.loop.teams_token
        self._answer(200, answer)

    def _bearer_ok(self, problems: list[str]) -> None:
        if self.headers.get("Authorization") != f"Bearer {self.loop.teams_token}":
            problems.append("Authorization: Bearer <a token from the Bot Framework login>")

    def _teams_activity(self, path: str, body: dict[str, Any]) -> None:
        problems: list[str] = []
        self._bearer_ok(problems)
        _check_activity(body, problems)
        update = re.fullmatch(r"/teams/v3/conversations/([^/]+)/activities/([^/]+)", path)
        post = re.fullmatch(r"/teams/v3/conversations/([^/]+)/activities", path)
        api = "teams.update" if self.command == "PUT" and update else "teams.post" if post else "teams.unknown"
        conversation = unquote((update or post).group(1)) if (update or post) else ""
        if api == "teams.post" and ";messageid=" in conversation:
            api = "teams.reply"
        if api == "teams.unknown":
            problems.append("not a Bot Connector activities path")
        injected = self._record(api, {**body, "_conversation": conversation})
        if self._refuse(problems):
            return
        if injected:
            return self._answer(injected[0], {"error": {"code": "Throttled"}}, injected[1])
        answer = fixture("botframework_resource_response.json")
        answer["id"] = unquote(update.group(2)) if update else f"1:{uuid.uuid4().hex[:20]}"
        self._answer(200 if update else 201, answer)

    def _teams_member(self, member_id: str) -> None:
        problems: list[str] = []
        self._bearer_ok(problems)
        self._record("teams.member", {"member": member_id})
        if self._refuse(problems):
            return
        email, _ = self.loop.emails.get(member_id, ("", False))
        if not email:
            return self._answer(404, {"error": {"code": "MemberNotFoundInConversation"}})
        answer = fixture("teams_member.json")
        answer["id"], answer["email"], answer["userPrincipalName"] = member_id, email, email
        answer["objectId"] = "aad-" + member_id
        self._answer(200, answer)


@contextmanager
def running() -> Iterator[Loopback]:
    from cryptography.hazmat.primitives.asymmetric import rsa

    loop = Loopback(private_key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.loopback = loop  # type: ignore[attr-defined]
    loop.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield loop
    finally:
        server.shutdown()
        server.server_close()
