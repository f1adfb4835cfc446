"""`make run`: the whole local stack in one process tree, in the foreground.

moto server (child) <- the Chalice app under `chalice local` (child) and, in this process, the
stream pump, the schedule runner, the SMTP inbox and the outbox collector. Ctrl-C stops it all;
a port already taken or a crashed child stops it with one clear line."""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from base64 import b64encode
from pathlib import Path
from typing import Any

from infra.local.ledger import LEDGER_ENV

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
COMPANY_DOMAIN = "example.com"


# `chalice local`, with a listen backlog for bursts and a request per thread (infra/local/server.py).
_CHALICE_CLI = (
    "import sys; from infra.local.server import harden; harden(); "
    "from chalice.cli import main; sys.argv[0] = 'chalice'; sys.exit(main())"
)


# How each source's secrets look where the platform issues them.
SOURCE_SECRETS: dict[str, Any] = {
    "generic": lambda: "whsec_" + b64encode(secrets.token_bytes(24)).decode(),
    "meta": lambda: {"app_secret": secrets.token_hex(16), "verify_token": secrets.token_urlsafe(16)},
    "x": lambda: secrets.token_urlsafe(38),
    "websub": lambda: secrets.token_urlsafe(24),
    "meltwater": lambda: secrets.token_hex(16),
    # The Slack app's signing secret, and its OAuth client (the install from /slack/install).
    "slack": lambda: {
        "secret": secrets.token_hex(16),
        "client_id": f"local.{secrets.randbelow(10**12)}",
        "client_secret": secrets.token_hex(16),
    },
    # The Azure Bot's app id and client secret (the Teams bot).
    "teams": lambda: {"app_id": str(uuid.uuid4()), "app_password": secrets.token_urlsafe(24)},
}


def chat_environment(base: str) -> dict[str, str]:
    """Slack's and Bot Framework's APIs served from `base` (a loopback fake, for tests and demos)."""
    return {
        "SHAREDWATCH_SLACK_API_URL": f"{base}/api/",
        "SHAREDWATCH_TEAMS_SERVICE_URL": f"{base}/teams/",
        "SHAREDWATCH_TEAMS_LOGIN_URL": f"{base}/botframework.com/oauth2/v2.0/token",
        "SHAREDWATCH_TEAMS_OPENID_URL": f"{base}/v1/.well-known/openidconfiguration",
    }


def parameter_value(value: str | dict[str, str]) -> str:
    """A source's SSM value: its secret, or a JSON object of its named secrets."""
    return value if isinstance(value, str) else json.dumps(value)


class StackError(Exception):
    """Stops the stack with one line."""


def _die_with_parent() -> None:
    # Children get their own process group (Ctrl-C reaches only us, and we stop them in order)
    # and SIGTERM if this process dies without cleaning up.
    os.setsid()
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def check_port_free(port: int, what: str, variable: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            raise StackError(f"port {port} ({what}) is already in use: stop what holds it or set {variable}") from None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(url: str, proc: subprocess.Popen[bytes], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise StackError(f"{what} exited with code {proc.returncode} while starting")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers: that is all we wait for
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise StackError(f"{what} did not answer on {url} within {timeout:.0f}s")


def load_or_create_secrets(path: Path) -> dict[str, Any]:
    """Keep secrets across restarts so configured senders keep working (the data is in memory
    and starts empty each run)."""
    old: dict[str, Any] = {}
    if path.exists():
        try:
            old = json.loads(path.read_text())
        except json.JSONDecodeError:
            old = {}
    sources = dict(old.get("sources")) if isinstance(old.get("sources"), dict) else {}
    if isinstance(sources.get("slack"), str):  # kept from before the install: the signing secret alone
        sources["slack"] = {**SOURCE_SECRETS["slack"](), "secret": sources["slack"]}
    return {
        "admin_token": old.get("admin_token") or secrets.token_urlsafe(24),
        "display_token": old.get("display_token") or secrets.token_urlsafe(24),
        "signing_key": old.get("signing_key") or secrets.token_urlsafe(32),
        "sources": {slug: sources.get(slug) or make() for slug, make in SOURCE_SECRETS.items()},
    }


def first_admin(email: str) -> None:
    """The local stack's first admin, so a new user can sign in and act at once (on AWS the
    break-glass token makes the first admin: see the README)."""
    from chalicelib.clock import isoformat, utcnow
    from chalicelib.store import identity

    if identity.get_person(email) is None:
        identity.put_person(
            {
                "email": email,
                "role": "admin",
                "name": "Local admin",
                "department": "",
                "disabled": False,
                "updated_at": isoformat(utcnow()),
                "updated_by": "the local stack",
            }
        )


def app_environment(
    *, port: int, moto_port: int, state: Path, config_cache_seconds: float = 30, outbound_allow: str = ""
) -> dict[str, str]:
    return {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{moto_port}",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "SHAREDWATCH_STAGE": "local",
        "SHAREDWATCH_RESOURCE_PREFIX": "sharedwatch-local-",
        "SHAREDWATCH_PARAMETER_PREFIX": "/sharedwatch/local/",
        "SHAREDWATCH_COMPANY_DOMAINS": COMPANY_DOMAIN,
        "SHAREDWATCH_REPORTS_ADDRESS": f"reports@{COMPANY_DOMAIN}",
        "SHAREDWATCH_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "SHAREDWATCH_LOCAL_OUTBOX": str(state / "outbox.jsonl"),
        "SHAREDWATCH_CONFIG_CACHE_SECONDS": str(config_cache_seconds),
        # Pull targets on this machine (a feed you serve to try the poller) are refused unless
        # listed: --outbound-allow 127.0.0.1:8080. Empty, as on AWS, unless asked.
        "SHAREDWATCH_OUTBOUND_ALLOW": outbound_allow,
        "POWERTOOLS_METRICS_NAMESPACE": "sharedwatch",
        "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "INFO"),
    }


class Stack:
    def __init__(  # noqa: PLR0913 (keyword-only, one per option of the command)
        self,
        *,
        port: int,
        smtp_port: int,
        moto_port: int,
        state: Path,
        quiet: bool,
        schedule_every: float | None = None,
        config_cache_seconds: float = 30,
        oidc: tuple[str, str, str] | None = None,
        outbound_allow: str = "",
    ) -> None:
        self.port, self.smtp_port, self.moto_port = port, smtp_port, moto_port
        self.state = state
        self.quiet = quiet
        self.schedule_every = schedule_every
        self.config_cache_seconds = config_cache_seconds
        self.oidc = oidc  # (issuer, client id, client secret) of a company provider, if any
        self.outbound_allow = outbound_allow
        self.chat_base = ""  # Slack's and Teams' APIs from here instead (a loopback fake): --chat-base
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.services: list[Any] = []

    def _spawn(self, what: str, argv: list[str], env: dict[str, str], log_name: str | None) -> subprocess.Popen[bytes]:
        out = (self.state / log_name).open("ab") if log_name else None
        proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT if out else None,
            preexec_fn=_die_with_parent,  # noqa: PLW1509  (every child is spawned before any thread starts)
        )
        self.children.append((what, proc))
        return proc

    def start(self) -> dict[str, Any]:
        check_port_free(self.port, "the app", "PORT")
        check_port_free(self.smtp_port, "the SMTP inbox", "SMTP_PORT")
        check_port_free(self.moto_port, "moto server", "MOTO_PORT")
        self.state.mkdir(parents=True, exist_ok=True)
        (self.state / "outbox.jsonl").write_text("")
        app_env = app_environment(
            port=self.port,
            moto_port=self.moto_port,
            state=self.state,
            config_cache_seconds=self.config_cache_seconds,
            outbound_allow=self.outbound_allow,
        )
        if self.oidc:
            app_env |= {"SHAREDWATCH_OIDC_ISSUER": self.oidc[0], "SHAREDWATCH_OIDC_CLIENT_ID": self.oidc[1]}
        if self.chat_base:
            app_env |= chat_environment(self.chat_base)
        env = {**os.environ, **app_env}
        env.pop("AWS_PROFILE", None)
        moto = self._spawn(
            "moto server",
            [sys.executable, "-m", "infra.local.moto_server", "-H", "127.0.0.1", "-p", str(self.moto_port)],
            env,
            "moto.log",
        )
        _wait_http(f"http://127.0.0.1:{self.moto_port}/moto-api/", moto, "moto server")

        # This process plays Lambda for the event handlers: same environment as the app.
        os.environ.update(app_env)
        os.environ.pop("AWS_PROFILE", None)
        from chalicelib.settings import get_settings
        from infra.local.bootstrap import create_resources
        from infra.local.handlers import app_event_sources, resolve
        from infra.local.outbox import OutboxCollector
        from infra.local.scheduler import ScheduleRunner
        from infra.local.smtp_inbox import SmtpInbox
        from infra.local.stream_pump import StreamPump

        settings = get_settings()
        creds_path = self.state / "credentials.json"
        kept = load_or_create_secrets(creds_path)
        create_resources(
            settings,
            parameters={
                "signing_key": kept["signing_key"],
                "admin_token": kept["admin_token"],
                "display_token": kept["display_token"],
                **{f"sources/{slug}": parameter_value(value) for slug, value in kept["sources"].items()},
                **({"oidc_client_secret": self.oidc[2]} if self.oidc else {}),
            },
        )
        first_admin(f"admin@{COMPANY_DOMAIN}")
        # The data lives in moto's memory and starts empty: what a previous run set aside
        # referred to data that is gone, so it goes too (the outbox is emptied above).
        (self.state / "dead-letters.jsonl").unlink(missing_ok=True)
        outbox = OutboxCollector(
            region=REGION,
            queue_name="sharedwatch-local-outbox",
            topic_prefix=settings.topic_name("group-"),
            path=self.state / "outbox.jsonl",
        )
        outbox.setup()
        sources = app_event_sources()
        inbound = next(s for s in sources if getattr(s, "topic", "") == settings.topic_name("inbound-email"))
        self.services = [
            outbox,
            StreamPump(sources, region=REGION, dead_letters=self.state / "dead-letters.jsonl"),
            ScheduleRunner(sources, region=REGION, every=self.schedule_every),
            SmtpInbox(
                handler=resolve(inbound.handler_string),
                handler_name=inbound.name,
                topic_arn=settings.topic_arn("inbound-email"),
                port=self.smtp_port,
                accepted=[settings.reports_address],
                company_domains=list(settings.company_domains),
            ),
        ]

        app_proc = self._spawn(
            "the app (chalice local)",
            [
                sys.executable,
                "-c",
                _CHALICE_CLI,
                "local",
                "--stage",
                "local",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--no-autoreload",
            ],
            env,
            "app.log" if self.quiet else None,
        )
        # This process plays the asynchronous side (streams, schedules, mail): it yields the CPU to
        # the app answering HTTP, as Lambda's separate concurrency would.
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, 0, 10)
        for service in self.services:
            service.start()
        _wait_http(f"http://127.0.0.1:{self.port}/health", app_proc, "the app (chalice local)")
        credentials = {
            "base_url": f"http://127.0.0.1:{self.port}",
            "smtp": {"host": "127.0.0.1", "port": self.smtp_port},
            "admin_token": kept["admin_token"],
            "display_token": kept["display_token"],
            "reports_address": settings.reports_address,
            "company_domain": COMPANY_DOMAIN,
            "sources": kept["sources"],
            "signing_key": kept["signing_key"],
            "moto_endpoint": f"http://127.0.0.1:{self.moto_port}",
            "dark_site_url": f"http://127.0.0.1:{self.moto_port}/{settings.dark_site_bucket}/index.html",
            "oidc_issuer": self.oidc[0] if self.oidc else "",  # for make doctor and make smoke
        }
        creds_path.write_text(json.dumps(credentials, indent=2) + "\n")
        creds_path.chmod(0o600)
        return credentials

    def watch(self) -> None:
        while True:
            for what, proc in self.children:
                if proc.poll() is not None:
                    raise StackError(f"{what} exited with code {proc.returncode}; the stack is stopping")
            time.sleep(0.5)

    def stop(self) -> None:
        for service in reversed(self.services):
            try:
                service.stop()
            except Exception as exc:  # keep stopping the rest
                print(f"sharedwatch: stopping {type(service).__name__}: {exc}", file=sys.stderr)
        for _, proc in reversed(self.children):
            if proc.poll() is None:
                proc.terminate()
        for _, proc in self.children:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.local", description="Run the sharedwatch local stack.")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--smtp-port", type=int, default=int(os.environ.get("SMTP_PORT", "2525")))
    parser.add_argument("--moto-port", type=int, default=int(os.environ.get("MOTO_PORT", "0")) or None)
    parser.add_argument("--state-dir", type=Path, default=ROOT / ".local")
    parser.add_argument("--quiet", action="store_true", help="send the app's log to STATE/app.log")
    parser.add_argument(
        "--schedule-every",
        type=float,
        default=None,
        metavar="SECONDS",
        help="fire every scheduled handler this often instead of on its own schedule (demos, tests)",
    )
    parser.add_argument(
        "--config-cache-seconds",
        type=float,
        default=30,
        help="how long each process keeps the rules and groups it read (0: read them every time)",
    )
    parser.add_argument(
        "--ledger",
        type=Path,
        default=None,
        metavar="FILE",
        help="moto writes what AWS would bill for each request it answers to FILE (infra/local/ledger.py)",
    )
    parser.add_argument("--oidc-issuer", default=os.environ.get("OIDC_ISSUER", ""), help="a company OIDC provider")
    parser.add_argument("--oidc-client-id", default=os.environ.get("OIDC_CLIENT_ID", ""))
    parser.add_argument("--oidc-client-secret", default=os.environ.get("OIDC_CLIENT_SECRET", ""))
    parser.add_argument(
        "--outbound-allow",
        default=os.environ.get("OUTBOUND_ALLOW", ""),
        metavar="ADDRESS[:PORT],...",
        help="non-public addresses the server may fetch from (a feed or chat fake on this machine: 127.0.0.1:8080)",
    )
    parser.add_argument(
        "--chat-base",
        default="",
        metavar="URL",
        help="serve Slack's and Teams' APIs from here (a loopback fake; list it in --outbound-allow too)",
    )
    args = parser.parse_args(argv)
    from chalicelib.policy.outbound import url_refusal  # (reads no environment)
    from chalicelib.settings import parse_outbound_allow

    try:
        allowed = parse_outbound_allow(args.outbound_allow)
    except ValueError as exc:
        parser.error(str(exc))
    # The chat fake is reached through the same guarded client as anything else: allowed
    # explicitly, never by --chat-base alone.
    refused = url_refusal(args.chat_base, allowed=allowed) if args.chat_base else ""
    if refused:
        parser.error(f"--chat-base {args.chat_base}: {refused}; list it in --outbound-allow")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.ledger:  # read by moto's server, which inherits this environment
        os.environ[LEDGER_ENV] = str(args.ledger.resolve())
    for noisy in ("botocore", "mail.log", "pynamodb"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    stack = Stack(
        port=args.port,
        smtp_port=args.smtp_port,
        moto_port=args.moto_port or free_port(),
        state=args.state_dir.resolve(),
        quiet=args.quiet,
        schedule_every=args.schedule_every,
        config_cache_seconds=args.config_cache_seconds,
        oidc=(args.oidc_issuer, args.oidc_client_id, args.oidc_client_secret) if args.oidc_issuer else None,
        outbound_allow=args.outbound_allow,
    )
    stack.chat_base = args.chat_base
    stopping = False

    def _terminate(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    # A shell that starts us in the background leaves SIGINT ignored; Ctrl-C must still stop us.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        creds = stack.start()
        print(
            "\nsharedwatch is running (Ctrl-C stops it)\n"
            f"  app          {creds['base_url']}  (report form: {creds['base_url']}/report)\n"
            f"  wall         {creds['base_url']}/wall#token={creds['display_token']}\n"
            f"  sign in      {creds['base_url']}/signin  (as admin@{COMPANY_DOMAIN}: the link arrives in the outbox)\n"
            f"  outbox       {creds['base_url']}/local/outbox\n"
            f"  dark site    {creds['dark_site_url']}  (the crisis plan's public statements, in local S3)\n"
            f"  health       {creds['base_url']}/health\n"
            f"  SMTP inbox   {creds['smtp']['host']}:{creds['smtp']['port']}  (mail {creds['reports_address']})\n"
            f"  credentials  {stack.state / 'credentials.json'}\n"
            "  data         in memory: it starts empty each run and is gone at Ctrl-C (secrets are kept)\n"
            "READY",
            flush=True,
        )
        stack.watch()
    except KeyboardInterrupt:
        stopping = True
        print("\nsharedwatch: stopping", flush=True)
    except StackError as exc:
        print(f"sharedwatch: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        stack.stop()
    return 0 if stopping else 1
