"""The chat platforms' APIs, and nothing else: Slack's Web API through the official `slack_sdk`
(imported on first use: most requests never post to chat), Microsoft Teams' Bot Connector REST
API and Workflows webhooks directly. Every request, slack_sdk's included, goes through the one
guarded outbound client (`chalicelib/http.py`: public addresses only unless Settings allow one,
pinned, capped). Every base URL is read from Settings. A failure is a ChatFailed carrying the
platform's Retry-After, if any; the delivery log (`notify/chat.py`) decides what to do with it.

Why not Microsoft's botbuilder packages: botbuilder-core pulls in aiohttp, msrest and msal and
adds several hundred milliseconds to a cold `import app` (docs/chat.md has the figure), for a
contract of four REST calls and one JWT check that Microsoft documents."""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from chalicelib import credentials, http
from chalicelib.settings import get_settings
from chalicelib.store.chat import slack_token


class ChatFailed(Exception):
    def __init__(self, reason: str, *, retry_after: float = 0.0, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason[:300]
        self.retry_after = retry_after
        self.permanent = permanent  # retrying cannot help (a channel the bot is not in)


def _retry_after(headers: Mapping[str, Any] | None) -> float:
    try:
        return max(0.0, float(str((headers or {}).get("retry-after") or (headers or {}).get("Retry-After") or 0)))
    except ValueError:
        return 0.0


# -- Slack ------------------------------------------------------------------------------------

# Slack answers these when retrying cannot help: the delivery dies at once rather than in 8 tries.
_SLACK_PERMANENT = {"channel_not_found", "not_in_channel", "is_archived", "invalid_auth", "account_inactive"}


@functools.cache
def _guarded_web_client() -> Any:
    """slack_sdk's WebClient with its transport swapped for `http.send`: the SDK still builds
    the requests and reads the answers (its errors, its 429 handling), but the connection is the
    guarded client's. It overrides the one method where the SDK opens the URL (slack_sdk 3.47),
    raising what urlopen would so the SDK's own error paths run unchanged."""
    import email.message
    import io
    import urllib.error
    import urllib.request

    from slack_sdk import WebClient

    class GuardedWebClient(WebClient):
        def _perform_urllib_http_request_internal(self, url: str, req: urllib.request.Request) -> dict[str, Any]:
            data = req.data if isinstance(req.data, bytes) else None
            sent = {k: str(v) for k, v in req.header_items()}
            answer = http.send(req.get_method(), url, body=data, headers=sent, timeout=float(self.timeout))
            if answer.error.startswith("refused: "):
                raise ChatFailed(f"Slack: {answer.error}", permanent=True)  # retrying cannot change it
            if answer.error:
                raise urllib.error.URLError(answer.error)
            headers = email.message.Message()
            for name, value in answer.headers.items():
                headers[name] = value
            if answer.status >= 400:
                raise urllib.error.HTTPError(url, answer.status, "", headers, io.BytesIO(answer.body))
            charset = headers.get_content_charset() or "utf-8"
            return {"status": answer.status, "headers": headers, "body": answer.body.decode(charset, "replace")}

    return GuardedWebClient


def slack_client(token: str) -> Any:
    return _guarded_web_client()(token=token, base_url=get_settings().slack_api_url, timeout=10)


def slack_call(team: str, method: str, **kwargs: Any) -> dict[str, Any]:
    """One Web API method as the workspace's bot; its answer's data."""
    from slack_sdk.errors import SlackApiError

    try:
        client = slack_client(slack_token(team))
        answer = getattr(client, method)(**kwargs)
    except SlackApiError as exc:
        response = exc.response
        error = str(response.get("error", "error")) if isinstance(response.data, dict) else "error"
        if response.status_code == 429:
            raise ChatFailed("Slack: ratelimited", retry_after=_retry_after(response.headers) or 1.0) from None
        raise ChatFailed(f"Slack {method}: {error}", permanent=error in _SLACK_PERMANENT) from None
    except ChatFailed:
        raise
    except Exception as exc:  # the network, a missing install: logged by the caller, retried
        raise ChatFailed(f"Slack {method}: {type(exc).__name__}: {str(exc)[:120]}") from None
    data: dict[str, Any] = dict(answer.data) if isinstance(answer.data, dict) else {}
    return data


def slack_oauth_access(*, code: str, redirect_uri: str) -> dict[str, Any]:
    """oauth.v2.access: the install's bot token, workspace and bot user."""
    from slack_sdk.errors import SlackApiError

    secrets = credentials.source_secrets("slack")
    client_id, client_secret = (secrets.get(k, [""])[0] for k in ("client_id", "client_secret"))
    if not client_id or not client_secret:
        raise ChatFailed("Slack: client_id and client_secret are not configured", permanent=True)
    try:
        answer = slack_client("").oauth_v2_access(
            client_id=client_id, client_secret=client_secret, code=code, redirect_uri=redirect_uri
        )
    except SlackApiError as exc:
        raise ChatFailed(f"Slack oauth.v2.access: {exc.response.get('error', 'error')}", permanent=True) from None
    except Exception as exc:
        raise ChatFailed(f"Slack oauth.v2.access: {type(exc).__name__}") from None
    return dict(answer.data) if isinstance(answer.data, dict) else {}


# -- Microsoft Teams: the Bot Connector REST API ----------------------------------------------

_token: tuple[float, str] | None = None
TOKEN_MARGIN = 300.0  # renew five minutes before the token expires


def teams_app() -> tuple[str, str]:
    """(app id, client secret) of the Azure Bot registration: the `sources/teams` parameter."""
    secrets = credentials.source_secrets("teams")
    app_id, password = (secrets.get(k, [""])[0] for k in ("app_id", "app_password"))
    if not app_id:
        raise ChatFailed("Teams: the bot's app_id is not configured", permanent=True)
    return app_id, password


def teams_token() -> str:
    """A client-credentials token for the Bot Connector, cached until shortly before expiry."""
    global _token
    if _token is not None and time.monotonic() < _token[0]:
        return _token[1]
    app_id, password = teams_app()
    form = (
        f"grant_type=client_credentials&client_id={quote(app_id)}&client_secret={quote(password)}"
        "&scope=https%3A%2F%2Fapi.botframework.com%2F.default"
    )
    answer = http.send(
        "POST",
        get_settings().teams_login_url,
        body=form.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    doc = _json(answer, "Teams token")
    token, expires = str(doc.get("access_token") or ""), float(doc.get("expires_in") or 0)
    if not token:
        raise ChatFailed("Teams token: no access_token in the answer")
    _token = (time.monotonic() + max(0.0, expires - TOKEN_MARGIN), token)
    return token


def forget_teams_token() -> None:
    global _token
    _token = None


def _json(answer: http.Fetched, what: str) -> dict[str, Any]:
    if answer.error:  # a refusal by the outbound policy is configuration: retrying cannot change it
        raise ChatFailed(f"{what}: {answer.error}", permanent=answer.error.startswith("refused: "))
    if answer.status == 429:
        raise ChatFailed(f"{what}: 429", retry_after=_retry_after(answer.headers) or 1.0)
    if not 200 <= answer.status < 300:
        permanent = answer.status in (400, 403, 404)
        raise ChatFailed(f"{what}: HTTP {answer.status}", permanent=permanent)
    try:
        doc = json.loads(answer.body or b"{}")
    except ValueError:
        raise ChatFailed(f"{what}: the answer is not JSON") from None
    return doc if isinstance(doc, dict) else {}


def _connector(method: str, path: str, activity: dict[str, Any] | None = None) -> dict[str, Any]:
    url = get_settings().teams_service_url.rstrip("/") + path
    headers = {"Authorization": f"Bearer {teams_token()}", "Content-Type": "application/json"}
    body = json.dumps(activity).encode() if activity is not None else None
    answer = http.send(method, url, body=body, headers=headers)
    if answer.status == 401:
        forget_teams_token()  # the next attempt fetches a new one
    return _json(
        answer, f"Teams {method} {path.rsplit('/', 2)[-2] if path.endswith('activities') is False else 'activities'}"
    )


def card_activity(card: dict[str, Any], *, text: str = "") -> dict[str, Any]:
    activity: dict[str, Any] = {
        "type": "message",
        "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}],
    }
    if text:
        activity["summary"] = text[:200]
    return activity


def teams_post(conversation: str, activity: dict[str, Any]) -> str:
    """POST /v3/conversations/{id}/activities: a proactive message; its activity id."""
    doc = _connector("POST", f"/v3/conversations/{quote(conversation, safe='')}/activities", activity)
    return str(doc.get("id") or "")


def teams_update(conversation: str, activity_id: str, activity: dict[str, Any]) -> None:
    """PUT /v3/conversations/{id}/activities/{activityId}: the card replaced in place."""
    path = f"/v3/conversations/{quote(conversation, safe='')}/activities/{quote(activity_id, safe='')}"
    _connector("PUT", path, {**activity, "id": activity_id})


def teams_reply(conversation: str, activity_id: str, text: str) -> str:
    """A reply in the card's thread: the channel conversation id with ;messageid= the card's id."""
    thread = quote(f"{conversation};messageid={activity_id}", safe="")
    doc = _connector("POST", f"/v3/conversations/{thread}/activities", {"type": "message", "text": text})
    return str(doc.get("id") or "")


def teams_member(conversation: str, member_id: str) -> dict[str, Any]:
    """GET /v3/conversations/{id}/members/{memberId}: a member's email and UPN (from Entra ID)."""
    path = f"/v3/conversations/{quote(conversation, safe='')}/members/{quote(member_id, safe='')}"
    return _connector("GET", path)


def teams_webhook(url: str, activity: dict[str, Any]) -> None:
    """A Workflows webhook ("Post to a channel when a webhook request is received"): broadcast
    only, no id comes back, so nothing can be updated or threaded."""
    answer = http.send("POST", url, body=json.dumps(activity).encode(), headers={"Content-Type": "application/json"})
    if answer.error:
        raise ChatFailed(f"Teams webhook: {answer.error}", permanent=answer.error.startswith("refused: "))
    if answer.status == 429:
        raise ChatFailed("Teams webhook: 429", retry_after=_retry_after(answer.headers) or 1.0)
    if not 200 <= answer.status < 300:
        raise ChatFailed(f"Teams webhook: HTTP {answer.status}", permanent=answer.status in (400, 403, 404))
