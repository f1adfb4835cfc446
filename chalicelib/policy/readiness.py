"""Would a message reach a person? Decided purely over what the account said when asked
(`flows/readiness.py` asks): each finding says what it saw, what that stops, and how to fix it.

A new AWS account meets four walls before its first incident: SES's sandbox (mail only to
verified addresses, 200 a day), SNS's SMS sandbox (texts only to verified numbers) with a USD 1
monthly SMS spend quota, US numbers needing a registered origination identity (10DLC or
toll-free), and SNS email subscriptions that reach nobody until each person confirms. An answer
that could not be read is said as such, and judged as the new account's default."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

BLOCKER = "blocker"  # messages to someone will not arrive
WARNING = "warning"  # they arrive today, but something here will stop them or hide a failure
OK = "ok"
LEVELS = (BLOCKER, WARNING, OK)

SANDBOX_DAILY = 200  # SES's sandbox quota: 200 messages a day, 1 a second
NEW_ACCOUNT_SMS_SPEND = 1.0  # USD a month: what SNS gives a new account (its SMS quota page)
PENDING = ("PendingConfirmation", "pending confirmation")
PEOPLE = ("email", "email-json", "sms")


@dataclass(frozen=True, slots=True)
class Reading:
    """What one AWS call answered, or why it did not (a refusal, or a service that does not
    implement the call: moto, for some)."""

    response: Mapping[str, Any] | None = None
    error: str = ""

    @property
    def read(self) -> bool:
        return self.response is not None


@dataclass(frozen=True, slots=True)
class Facts:
    stage: str
    region: str
    local: bool
    senders: tuple[str, ...]  # the addresses the app sends mail from
    ses_account: Reading = field(default_factory=Reading)  # SESv2 GetAccount
    ses_quota: Reading = field(default_factory=Reading)  # SES GetSendQuota, read when GetAccount is not
    # SESv2 GetEmailIdentity by identity: each sender's address and its domain
    identities: Mapping[str, Reading] = field(default_factory=dict)
    receipt_rules: Reading = field(default_factory=Reading)  # SES DescribeActiveReceiptRuleSet
    receipt_rule_set: str = ""  # the rule set the stack deploys for reports@
    sms_sandbox: Reading = field(default_factory=Reading)  # SNS GetSMSSandboxAccountStatus
    sandbox_numbers: Reading = field(default_factory=Reading)  # SNS ListSMSSandboxPhoneNumbers, pages merged
    sms_attributes: Reading = field(default_factory=Reading)  # SNS GetSMSAttributes
    origination_numbers: Reading = field(default_factory=Reading)  # SNS ListOriginationNumbers, pages merged
    groups: Mapping[str, Reading] = field(default_factory=dict)  # ListSubscriptionsByTopic per group
    parameters: Reading = field(default_factory=Reading)  # SSM GetParameters: Parameters, InvalidParameters
    parameter_prefix: str = ""
    source_slugs: tuple[str, ...] = ()
    oidc_issuer: str = ""
    discovery: Reading = field(default_factory=Reading)  # the issuer's discovery document
    alarm_topic: Reading = field(default_factory=Reading)  # ListSubscriptionsByTopic of the alarms topic
    alarms: Reading = field(default_factory=Reading)  # CloudWatch DescribeAlarms by the stage's prefix


@dataclass(frozen=True, slots=True)
class Finding:
    check: str
    level: str
    title: str  # what it means for the people to be told, in one line
    seen: str  # the facts it rests on
    fix: str = ""

    def document(self) -> dict[str, str]:
        return {"check": self.check, "level": self.level, "title": self.title, "seen": self.seen, "fix": self.fix}


def _why(reading: Reading) -> str:
    return f"could not be read ({reading.error or 'no answer'})"


def _subscriptions(reading: Reading) -> list[Mapping[str, Any]]:
    return list((reading.response or {}).get("Subscriptions") or [])


def _people(facts: Facts) -> list[Mapping[str, Any]]:
    return [s for r in facts.groups.values() for s in _subscriptions(r) if s.get("Protocol") in PEOPLE]


def _pending(sub: Mapping[str, Any]) -> bool:
    return str(sub.get("SubscriptionArn", "")) in PENDING


def masked(number: str) -> str:
    """A phone number as the report shows it: the country code and the last three digits."""
    return f"{number[:3]}…{number[-3:]}" if len(number) > 8 else "…"


def _listed(items: Sequence[str], most: int = 6) -> str:
    shown = ", ".join(items[:most])
    return shown + (f" and {len(items) - most} more" if len(items) > most else "")


# -- mail -------------------------------------------------------------------------------------


def ses_account(facts: Facts) -> Finding:
    check = "ses-sandbox"
    account = facts.ses_account.response
    if account is not None:
        quota = account.get("SendQuota") or {}
        daily = f"{float(quota.get('Max24HourSend', 0)):g} a day" if quota else "no quota given"
        if account.get("SendingEnabled") is False or account.get("EnforcementStatus") == "SHUTDOWN":
            return Finding(
                check,
                BLOCKER,
                "SES sending is paused for this account: no mail leaves",
                f"GetAccount: SendingEnabled {account.get('SendingEnabled')}, "
                f"EnforcementStatus {account.get('EnforcementStatus', '?')}",
                "read the notice from AWS in the SES console's Reputation metrics, correct the cause, then ask "
                "AWS Support to resume sending",
            )
        if account.get("ProductionAccessEnabled"):
            return Finding(check, OK, "SES has production access", f"GetAccount: {daily}")
        review = ((account.get("Details") or {}).get("ReviewDetails") or {}).get("Status", "")
        seen = f"GetAccount: ProductionAccessEnabled false, {daily}" + (f", review {review}" if review else "")
    else:
        quota = facts.ses_quota.response
        if quota is None:
            return Finding(
                check,
                BLOCKER,
                "SES's sandbox could not be ruled out: a new account's mail goes to verified addresses only",
                f"GetAccount {_why(facts.ses_account)}; GetSendQuota {_why(facts.ses_quota)}",
                _SES_FIX,
            )
        daily_limit = float(quota.get("Max24HourSend", 0))
        if daily_limit > SANDBOX_DAILY:
            return Finding(
                check, OK, "SES has production access", f"GetSendQuota: {daily_limit:g} a day (above the sandbox's)"
            )
        seen = (
            f"GetAccount {_why(facts.ses_account)}; GetSendQuota: {daily_limit:g} a day, "
            f"{float(quota.get('MaxSendRate', 0)):g} a second (the sandbox's quota)"
        )
    return Finding(
        check,
        BLOCKER,
        "SES is in its sandbox: mail reaches verified addresses only, at most 200 a day "
        "(reporters' receipts, sign-in links and briefs to anyone else are refused)",
        seen,
        _SES_FIX,
    )


_SES_FIX = (
    "request production access: SES console → Account dashboard → Request production access (or "
    "`aws sesv2 put-account-details --production-access-enabled --mail-type TRANSACTIONAL ...`); "
    "meanwhile verify each recipient: `aws sesv2 create-email-identity --email-identity person@example.com`"
)


def sender_identities(facts: Facts) -> list[Finding]:
    """Each sender: SES sends from an address when the address or its domain is verified for
    sending, and receivers trust it when the domain signs with DKIM."""
    findings = []
    for sender in facts.senders:
        domain = sender.rpartition("@")[2]
        readings = {n: facts.identities.get(n, Reading()) for n in (sender, domain)}
        known = {n: r.response for n, r in readings.items() if r.response is not None}
        check = f"sender:{sender}"
        if not known:
            errors = "; ".join(f"{n}: {r.error}" for n, r in readings.items() if r.error)
            findings.append(
                Finding(
                    check,
                    BLOCKER,
                    f"mail from {sender} is refused: neither the address nor {domain} is an SES identity",
                    f"GetEmailIdentity: {errors or 'not found'}",
                    f"verify the domain: `aws sesv2 create-email-identity --email-identity {domain}`, then publish "
                    "the three DKIM CNAME records it returns in the domain's DNS",
                )
            )
            continue
        signer = known.get(domain) or known[sender]
        dkim = signer.get("DkimAttributes") or {}
        status = str(dkim.get("Status", "NOT_STARTED"))
        seen = (
            "; ".join(
                f"GetEmailIdentity {n}: VerifiedForSendingStatus {i.get('VerifiedForSendingStatus')}"
                for n, i in known.items()
            )
            + f"; DKIM {status}{'' if dkim.get('SigningEnabled') else ' (signing off)'}"
        )
        if not any(i.get("VerifiedForSendingStatus") for i in known.values()):
            findings.append(
                Finding(
                    check,
                    BLOCKER,
                    f"the sender {sender} is not verified: SES refuses every message from it",
                    seen,
                    f"publish the DNS records SES gives for {domain} (`aws sesv2 get-email-identity --email-identity "
                    f"{domain}` lists the DKIM tokens: CNAME <token>._domainkey.{domain} → <token>.dkim.amazonses.com) "
                    "and wait for verification",
                )
            )
        elif status != "SUCCESS" or not dkim.get("SigningEnabled"):
            findings.append(
                Finding(
                    check,
                    WARNING,
                    f"mail from {sender} is not DKIM-signed: receivers may file it as spam",
                    seen,
                    f"publish the DKIM CNAME records for {domain} (`aws sesv2 get-email-identity --email-identity "
                    f"{domain}`) and enable signing",
                )
            )
        else:
            findings.append(Finding(check, OK, f"mail from {sender} is verified and DKIM-signed", seen))
    return findings


def inbound_mail(facts: Facts) -> Finding:
    check = "inbound-mail"
    if facts.local:
        return Finding(check, OK, "mail to the reports address reaches the local stack's SMTP inbox", "local stack")
    active = facts.receipt_rules.response
    if active is None:
        return Finding(
            check,
            WARNING,
            "whether mail to the reports address is received could not be told",
            f"DescribeActiveReceiptRuleSet {_why(facts.receipt_rules)}",
            _RULES_FIX.format(rule_set=facts.receipt_rule_set),
        )
    name = str((active.get("Metadata") or {}).get("Name", ""))
    if name != facts.receipt_rule_set:
        return Finding(
            check,
            BLOCKER,
            "reports mailed to the reports address are dropped: the stack's receipt rule set is not the active one",
            f"DescribeActiveReceiptRuleSet: {name or 'none active'}",
            _RULES_FIX.format(rule_set=facts.receipt_rule_set),
        )
    return Finding(check, OK, "mail to the reports address is received", f"active receipt rule set {name}")


_RULES_FIX = (
    "`aws ses set-active-receipt-rule-set --rule-set-name {rule_set}` (one rule set is active per account and "
    "Region), and point the domain's MX record at inbound-smtp.<region>.amazonaws.com"
)


# -- text messages ----------------------------------------------------------------------------


def _sms_numbers(facts: Facts) -> list[str]:
    return sorted({str(s.get("Endpoint", "")) for s in _people(facts) if s.get("Protocol") == "sms"})


def sms_sandbox(facts: Facts) -> Finding:
    check = "sms-sandbox"
    numbers = _sms_numbers(facts)
    status = facts.sms_sandbox.response
    if status is not None and not status.get("IsInSandbox"):
        return Finding(check, OK, "SMS is out of the sandbox", "GetSMSSandboxAccountStatus: IsInSandbox false")
    verified = {
        str(n.get("PhoneNumber"))
        for n in (facts.sandbox_numbers.response or {}).get("PhoneNumbers") or []
        if n.get("Status") == "Verified"
    }
    unverified = [n for n in numbers if n not in verified]
    seen = (
        "GetSMSSandboxAccountStatus: IsInSandbox true"
        if status is not None
        else f"GetSMSSandboxAccountStatus {_why(facts.sms_sandbox)}: a new account is in the sandbox"
    )
    seen += f"; {len(numbers)} SMS member{'s' if len(numbers) != 1 else ''}, {len(verified)} sandbox number(s) verified"
    fix = (
        "ask AWS to move the account out: SNS console → Text messaging (SMS) → Exit SMS sandbox (a support case, "
        "per Region); meanwhile add each member's number as a sandbox destination and verify it with the code "
        "SNS texts (`aws sns create-sms-sandbox-phone-number --phone-number +1...`, then "
        "`aws sns verify-sms-sandbox-phone-number`)"
    )
    if unverified:
        return Finding(
            check,
            BLOCKER,
            f"SMS is in the sandbox{'' if status is not None else ' (could not be ruled out)'}: texts to "
            f"{len(unverified)} member number(s) not verified there are not sent "
            f"({_listed([masked(n) for n in unverified])})",
            seen,
            fix,
        )
    where = "SMS is in the sandbox" if status is not None else "SMS may be in the sandbox (a new account is)"
    return Finding(
        check, WARNING, f"{where}: only verified numbers get texts (no member has an unverified number yet)", seen, fix
    )


def sms_spend(facts: Facts) -> Finding:
    check = "sms-spend-limit"
    attributes = (facts.sms_attributes.response or {}).get("attributes") or {}
    limit_text = attributes.get("MonthlySpendLimit")
    if limit_text is None:
        seen = (
            f"GetSMSAttributes {_why(facts.sms_attributes)}"
            if not facts.sms_attributes.read
            else "GetSMSAttributes: no MonthlySpendLimit set"
        )
        limit, seen = NEW_ACCOUNT_SMS_SPEND, seen + f": the account's quota applies (USD {NEW_ACCOUNT_SMS_SPEND:.2f} "
        seen += "a month for a new account)"
    else:
        limit, seen = float(limit_text), f"GetSMSAttributes: MonthlySpendLimit {limit_text} USD"
    if limit <= NEW_ACCOUNT_SMS_SPEND:
        return Finding(
            check,
            WARNING,
            f"SMS stops for the month once USD {limit:.2f} is spent (a few dozen to a hundred texts)",
            seen,
            "ask AWS Support for an SMS spending quota increase (Service Quotas or a support case, per Region), then "
            "`aws sns set-sms-attributes --attributes MonthlySpendLimit=<USD>`; alarm on SNS's SMSMonthToDateSpentUSD",
        )
    return Finding(check, OK, f"SMS may spend USD {limit:g} a month", seen)


def origination(facts: Facts) -> Finding:
    """US carriers drop SMS from unregistered senders: a +1 number needs an active origination
    identity (10DLC or toll-free) in the account."""
    check = "sms-origination"
    us = [n for n in _sms_numbers(facts) if n.startswith("+1")]
    numbers = (facts.origination_numbers.response or {}).get("PhoneNumbers") or []
    active = [
        n
        for n in numbers
        if str(n.get("Status", "")).upper() == "ACTIVE"
        and "SMS" in (n.get("NumberCapabilities") or [])
        and n.get("Iso2CountryCode") == "US"
    ]
    seen = (
        f"ListOriginationNumbers: {len(numbers)} number(s), {len(active)} active for US SMS"
        if facts.origination_numbers.read
        else f"ListOriginationNumbers {_why(facts.origination_numbers)}"
    )
    fix = (
        "register a US origination identity and give SNS the number: a toll-free number (verification takes days) "
        "or 10DLC (brand and campaign registration, weeks), in AWS End User Messaging SMS; short codes for volume"
    )
    if active:
        return Finding(check, OK, "US numbers are texted from a registered origination number", seen)
    if us:
        return Finding(
            check,
            BLOCKER,
            f"{len(us)} member number(s) start with +1 (the US shares it with Canada): US carriers drop texts "
            "without a registered origination number, and none is active",
            seen,
            fix,
        )
    return Finding(check, OK, "no member has a +1 number: no US origination identity is needed yet", seen)


# -- who hears ---------------------------------------------------------------------------------


def groups(facts: Facts) -> list[Finding]:
    silent, waiting, unreadable = [], [], []
    for slug, reading in sorted(facts.groups.items()):
        if not reading.read:
            unreadable.append(f"{slug} ({reading.error})")
            continue
        people = [s for s in _subscriptions(reading) if s.get("Protocol") in PEOPLE]
        pending = [s for s in people if _pending(s)]
        if len(pending) == len(people):
            silent.append(f"{slug} ({len(pending)} waiting)" if pending else slug)
        if pending:
            waiting.append(f"{slug}: {len(pending)}")
    findings = []
    confirm = (
        "each person opens the 'AWS Notification - Subscription Confirmation' mail SNS sent and confirms (it expires "
        "after 3 days: remove and add the member again on /admin to resend); SMS members need no confirmation"
    )
    if unreadable:
        findings.append(
            Finding(
                "groups",
                BLOCKER,
                f"whether anyone hears these groups could not be read: {_listed(unreadable)}",
                "ListSubscriptionsByTopic failed",
                "check that the group's topic exists (saving the group on /admin creates it) and that this role may "
                "list its subscriptions",
            )
        )
    if silent:
        findings.append(
            Finding(
                "groups",
                BLOCKER,
                f"{len(silent)} group(s) reach nobody: {_listed(silent)}",
                f"no confirmed email or SMS member among {len(facts.groups)} group(s)",
                "add members on /admin (or POST /api/groups/<slug>/members); " + confirm,
            )
        )
    if waiting:
        findings.append(
            Finding(
                "subscriptions",
                WARNING,
                f"subscriptions waiting for confirmation reach nobody yet ({_listed(waiting)})",
                "ListSubscriptionsByTopic: SubscriptionArn PendingConfirmation",
                confirm,
            )
        )
    if not findings:
        findings.append(
            Finding(
                "groups",
                OK,
                "every group has a confirmed member",
                f"{len(facts.groups)} group(s), {len(_people(facts))} member(s)",
            )
        )
    return findings


# -- what the app reads ------------------------------------------------------------------------

REQUIRED = {
    "signing_key": (BLOCKER, "acknowledge links, report forms and drills cannot be signed: they all fail"),
    "display_token": (WARNING, "no wall screen can show incidents"),
}


def secrets(facts: Facts) -> list[Finding]:
    prefix = facts.parameter_prefix
    if not facts.parameters.read:
        return [
            Finding(
                "secrets",
                BLOCKER,
                "whether the app's secrets exist could not be read",
                f"GetParameters {_why(facts.parameters)}",
                f"let this role call ssm:GetParameters on {prefix}*",
            )
        ]
    present = {
        str(p.get("Name", "")).removeprefix(prefix) for p in (facts.parameters.response or {}).get("Parameters", [])
    }
    required = dict(REQUIRED)
    if facts.oidc_issuer:
        required["oidc_client_secret"] = (BLOCKER, "sign-in through the company's provider fails at the token step")
    findings = []
    for name, (level, what) in required.items():
        if name not in present:
            findings.append(
                Finding(
                    f"secret:{name}",
                    level,
                    f"the {name} parameter is missing: {what}",
                    f"GetParameters: {prefix}{name} is not there",
                    f"`aws ssm put-parameter --type SecureString --name {prefix}{name} --value ...` "
                    "(README: Deploying to AWS)",
                )
            )
    configured = [s for s in facts.source_slugs if f"sources/{s}" in present]
    if not configured:
        findings.append(
            Finding(
                "secret:sources",
                WARNING,
                "no source has a secret: every pushed mention is refused (401), so nothing arrives to route",
                f"GetParameters: none of {prefix}sources/<{'|'.join(facts.source_slugs)}>",
                f"put each source's signing secret at {prefix}sources/<slug> (README: sources)",
            )
        )
    if not findings:
        findings.append(
            Finding(
                "secrets", OK, "the secrets the app reads are there", f"sources with a secret: {', '.join(configured)}"
            )
        )
    return findings


def identity_provider(facts: Facts) -> Finding:
    check = "identity-provider"
    if not facts.oidc_issuer:
        return Finding(
            check, OK, "no company identity provider: people sign in by email link", "SHAREDWATCH_OIDC_ISSUER empty"
        )
    url = f"{facts.oidc_issuer}/.well-known/openid-configuration"
    doc = facts.discovery.response
    if doc is None:
        return Finding(
            check,
            BLOCKER,
            "people cannot sign in through the company's provider: its discovery document does not answer",
            f"{url}: {facts.discovery.error}",
            "check the issuer URL (SHAREDWATCH_OIDC_ISSUER) and that the provider is reachable from Lambda "
            "(a function outside a VPC reaches the internet; one inside needs a NAT gateway)",
        )
    if doc.get("issuer") != facts.oidc_issuer:
        return Finding(
            check,
            BLOCKER,
            "the provider's discovery document names another issuer: sign-in refuses its tokens",
            f"{url}: issuer {str(doc.get('issuer'))[:120]!r}",
            "set SHAREDWATCH_OIDC_ISSUER to exactly the issuer the document names (no trailing slash)",
        )
    return Finding(check, OK, "the company's identity provider answers", url)


def alarms(facts: Facts) -> list[Finding]:
    if facts.local:
        return [
            Finding("alarms", OK, "the local stack has no CloudWatch alarms (the CDK stack brings them)", "local stack")
        ]
    findings = []
    topic = facts.alarm_topic
    people = [s for s in _subscriptions(topic) if s.get("Protocol") in PEOPLE and not _pending(s)]
    if not topic.read or not people:
        findings.append(
            Finding(
                "alarm-subscribers",
                BLOCKER,
                "alarms reach nobody: when the app fails (errors, throttles, a stream falling behind, dead letters), "
                "no one is told",
                f"ListSubscriptionsByTopic (alarms) {_why(topic)}"
                if not topic.read
                else f"alarms topic: {len(_subscriptions(topic))} subscription(s), none confirmed for a person",
                "deploy with `-c alarm_email=ops@example.com` (CDK_ARGS) and confirm the mail SNS sends, or "
                "subscribe the on-call tool to the alarms topic",
            )
        )
    if not facts.alarms.read:
        findings.append(
            Finding(
                "alarms",
                WARNING,
                "the alarms could not be listed",
                f"DescribeAlarms {_why(facts.alarms)}",
                "let this role call cloudwatch:DescribeAlarms",
            )
        )
        return findings
    listed = list((facts.alarms.response or {}).get("MetricAlarms") or [])
    silent = [str(a.get("AlarmName")) for a in listed if not a.get("AlarmActions")]
    if not listed:
        findings.append(
            Finding(
                "alarms",
                WARNING,
                "the stage has no alarms: a failing function goes unnoticed",
                "DescribeAlarms: none under the stage's prefix",
                "deploy the CDK stack (make deploy STAGE=...), which creates them",
            )
        )
    elif silent:
        findings.append(
            Finding(
                "alarms",
                WARNING,
                f"{len(silent)} alarm(s) have no action: {_listed(silent)}",
                f"DescribeAlarms: {len(listed)} alarm(s)",
                "give each an SNS action to the alarms topic (the CDK stack does)",
            )
        )
    if not findings:
        findings.append(Finding("alarms", OK, f"{len(listed)} alarms go to a confirmed subscriber", "DescribeAlarms"))
    return findings


def assess(facts: Facts) -> list[Finding]:
    """Every finding, what stops messages first."""
    findings = [
        ses_account(facts),
        *sender_identities(facts),
        inbound_mail(facts),
        sms_sandbox(facts),
        sms_spend(facts),
        origination(facts),
        *groups(facts),
        *secrets(facts),
        identity_provider(facts),
        *alarms(facts),
    ]
    return sorted(findings, key=lambda f: LEVELS.index(f.level))


def ready(findings: Sequence[Finding]) -> bool:
    return not any(f.level == BLOCKER for f in findings)
