"""The one reader of the environment: a frozen Settings built once per process."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from functools import lru_cache

LOCAL_STAGE = "local"


@dataclass(frozen=True, slots=True)
class OutboundAllowance:
    """An address range (and port, or any) the server may fetch from although it is not public:
    a feed on 127.0.0.1 for the local stack and the tests. Never set on AWS."""

    network: ipaddress.IPv4Network | ipaddress.IPv6Network
    port: int | None = None

    def permits(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address, port: int) -> bool:
        return address.version == self.network.version and address in self.network and self.port in (None, port)


def parse_outbound_allow(text: str) -> tuple[OutboundAllowance, ...]:
    """`127.0.0.1:8080, 10.0.0.0/8, [::1]:8080, ::1`: an address or CIDR, optionally a port
    (bracket an IPv6 one to give a port). ValueError names the entry that is not one."""
    found = []
    for entry in (e.strip() for e in text.split(",")):
        if not entry:
            continue
        host, port = entry, ""
        if entry.startswith("["):
            host, _, rest = entry[1:].partition("]")
            if rest and not rest.startswith(":"):
                raise ValueError(f"SHAREDWATCH_OUTBOUND_ALLOW: {entry!r} is not [address]:port")
            port = rest[1:]
        elif entry.count(":") == 1:
            host, port = entry.split(":")
        try:
            network = ipaddress.ip_network(host, strict=True)
        except ValueError as exc:
            raise ValueError(f"SHAREDWATCH_OUTBOUND_ALLOW: {entry!r} is not an address or CIDR ({exc})") from None
        if port and not (port.isdigit() and 1 <= int(port) <= 65535):
            raise ValueError(f"SHAREDWATCH_OUTBOUND_ALLOW: {entry!r} has no port 1-65535")
        found.append(OutboundAllowance(network, int(port) if port else None))
    return tuple(found)


@dataclass(frozen=True, slots=True)
class Settings:
    stage: str
    region: str
    account_id: str
    # Every table and topic name is this prefix plus a fixed suffix, so infra/ and the local
    # stack agree by construction (e.g. "sharedwatch-dev-" + "mentions").
    resource_prefix: str
    parameter_prefix: str
    mentions_stream_arn: str
    reports_stream_arn: str
    company_domains: tuple[str, ...]
    reports_address: str
    public_base_url: str
    report_retention_days: int
    max_body_bytes: int
    local_outbox_path: str
    severity_thresholds: str  # points for medium, high, critical
    comprehend_languages: tuple[str, ...]  # languages sent to Amazon Comprehend; empty: off
    config_cache_seconds: float  # how long a process keeps rules, groups and policies it read
    uploads_bucket: str  # reporters' screenshots, uploaded straight to S3 with a presigned POST
    max_screenshot_bytes: int
    # The crisis plan: the company's name in statements, and the public dark site's bucket.
    company_name: str
    dark_site_bucket: str
    # An HTTP request's time for AWS calls: no new attempt starts after it (API Gateway gives up
    # at 29 s; the sender must get our 503 with Retry-After, not the gateway's timeout).
    request_budget_seconds: float
    # Sign-in: a session ends after this long idle, and at the latest this long after sign-in.
    session_idle_minutes: int
    session_hours: int
    signin_link_minutes: int
    # Single sign-on over OpenID Connect: the issuer (discovery at its /.well-known) and our client
    # id; the client secret is the `oidc_client_secret` parameter. Empty issuer: email links only.
    oidc_issuer: str
    oidc_client_id: str
    oidc_label: str
    # Chat: where the platforms' APIs are (read here so tests and the local stack point them at a
    # loopback server), and the KMS key that seals Slack bot tokens (empty: a local key).
    slack_api_url: str
    teams_service_url: str  # the Bot Connector's service URL for proactive messages
    teams_login_url: str  # the client-credentials token endpoint
    teams_openid_url: str  # Bot Framework's OpenID metadata (the JWKS of incoming activities)
    teams_issuer: str
    chat_kms_key_id: str
    # Where outbound fetches (pull targets) may go although the address is not public: empty, so
    # nothing but public addresses, unless the local stack or a test lists its own feed server.
    outbound_allow: tuple[OutboundAllowance, ...] = ()

    @property
    def secure_cookies(self) -> bool:
        """Cookies are Secure wherever the site is https (everywhere but a local http stack)."""
        return self.public_base_url.startswith("https://") or not self.is_local

    @property
    def is_local(self) -> bool:
        return self.stage == LOCAL_STAGE

    def table_name(self, suffix: str) -> str:
        return f"{self.resource_prefix}{suffix}"

    def topic_name(self, suffix: str) -> str:
        return f"{self.resource_prefix}{suffix}"

    def topic_arn(self, suffix: str) -> str:
        return f"arn:aws:sns:{self.region}:{self.account_id}:{self.topic_name(suffix)}"

    def group_topic_arn(self, group: str) -> str:
        return self.topic_arn(f"group-{group}")

    def parameter_name(self, suffix: str) -> str:
        return f"{self.parameter_prefix}{suffix}"


def _stream_arn(region: str, account_id: str, table: str) -> str:
    # A placeholder that is a valid ARN: the local stack and the tests read the real stream
    # themselves; on AWS infra/ passes the real ARN through the stage environment.
    return f"arn:aws:dynamodb:{region}:{account_id}:table/{table}/stream/local"


def load_settings(env: dict[str, str] | None = None) -> Settings:
    e = dict(os.environ if env is None else env)
    stage = e.get("SHAREDWATCH_STAGE", "dev")
    region = e.get("AWS_REGION") or e.get("AWS_DEFAULT_REGION") or "us-east-1"
    account_id = e.get("SHAREDWATCH_ACCOUNT_ID", "123456789012")
    prefix = e.get("SHAREDWATCH_RESOURCE_PREFIX", f"sharedwatch-{stage}-")
    domains = tuple(
        d.strip().lower() for d in e.get("SHAREDWATCH_COMPANY_DOMAINS", "example.com").split(",") if d.strip()
    )
    return Settings(
        stage=stage,
        region=region,
        account_id=account_id,
        resource_prefix=prefix,
        parameter_prefix=e.get("SHAREDWATCH_PARAMETER_PREFIX", f"/sharedwatch/{stage}/"),
        mentions_stream_arn=e.get("SHAREDWATCH_MENTIONS_STREAM_ARN")
        or _stream_arn(region, account_id, f"{prefix}mentions"),
        reports_stream_arn=e.get("SHAREDWATCH_REPORTS_STREAM_ARN")
        or _stream_arn(region, account_id, f"{prefix}reports"),
        company_domains=domains,
        reports_address=e.get("SHAREDWATCH_REPORTS_ADDRESS", f"reports@{domains[0]}"),
        public_base_url=e.get("SHAREDWATCH_PUBLIC_BASE_URL", "").rstrip("/"),
        report_retention_days=int(e.get("SHAREDWATCH_REPORT_RETENTION_DAYS", "365")),
        max_body_bytes=int(e.get("SHAREDWATCH_MAX_BODY_BYTES", str(1024 * 1024))),
        request_budget_seconds=float(e.get("SHAREDWATCH_REQUEST_BUDGET_SECONDS", "18")),
        session_idle_minutes=int(e.get("SHAREDWATCH_SESSION_IDLE_MINUTES", "60")),
        session_hours=int(e.get("SHAREDWATCH_SESSION_HOURS", "12")),
        signin_link_minutes=int(e.get("SHAREDWATCH_SIGNIN_LINK_MINUTES", "15")),
        oidc_issuer=e.get("SHAREDWATCH_OIDC_ISSUER", "").rstrip("/"),
        oidc_client_id=e.get("SHAREDWATCH_OIDC_CLIENT_ID", ""),
        oidc_label=e.get("SHAREDWATCH_OIDC_LABEL", "your company account"),
        slack_api_url=e.get("SHAREDWATCH_SLACK_API_URL", "https://slack.com/api/"),
        teams_service_url=e.get("SHAREDWATCH_TEAMS_SERVICE_URL", "https://smba.trafficmanager.net/teams/"),
        teams_login_url=e.get(
            "SHAREDWATCH_TEAMS_LOGIN_URL", "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token"
        ),
        teams_openid_url=e.get(
            "SHAREDWATCH_TEAMS_OPENID_URL", "https://login.botframework.com/v1/.well-known/openidconfiguration"
        ),
        teams_issuer=e.get("SHAREDWATCH_TEAMS_ISSUER", "https://api.botframework.com"),
        chat_kms_key_id=e.get("SHAREDWATCH_CHAT_KMS_KEY_ID", ""),
        local_outbox_path=e.get("SHAREDWATCH_LOCAL_OUTBOX", ""),
        severity_thresholds=e.get("SHAREDWATCH_SEVERITY_THRESHOLDS", "2,4,6"),
        comprehend_languages=tuple(
            code.strip().lower() for code in e.get("SHAREDWATCH_COMPREHEND_LANGUAGES", "").split(",") if code.strip()
        ),
        config_cache_seconds=float(e.get("SHAREDWATCH_CONFIG_CACHE_SECONDS", "30")),
        uploads_bucket=e.get("SHAREDWATCH_UPLOADS_BUCKET", f"{prefix}uploads"),
        max_screenshot_bytes=int(e.get("SHAREDWATCH_MAX_SCREENSHOT_BYTES", str(5 * 1024 * 1024))),
        company_name=e.get("SHAREDWATCH_COMPANY_NAME", "Example Air"),
        dark_site_bucket=e.get("SHAREDWATCH_DARK_SITE_BUCKET", f"{prefix}dark-site"),
        outbound_allow=parse_outbound_allow(e.get("SHAREDWATCH_OUTBOUND_ALLOW", "")),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
