"""The company's people as the directory describes them: what a person record holds and how it
is read from a SCIM User (RFC 7643 §4.1, with the enterprise extension's department) or a row of
a CSV file. Pure: the SCIM protocol is the library's (flows/scim.py), storage is store/directory.py.

A person is one record, keyed by their address (the primary email, else a userName that is an
address): the same record sign-in, roles, sessions and tokens already use. The directory adds
what reaching them needs: name, emails, phone, department, preferred language, time zone, active,
and the channels they can be reached on. What the provider sent is kept as it sent it (`scim`),
so a provider reads back what it wrote; the fields the app uses are derived from it, and a value
the app cannot use (a phone that is not E.164, a zone that is not IANA) is simply not derived."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import available_timezones

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
CHANNELS = ("email", "sms")  # chat joins later (issue 33, item 2)
MAX_EMAILS = 10
MAX_CSV_ROWS = 10_000
CSV_COLUMNS = (
    "email",
    "name",
    "given_name",
    "family_name",
    "department",
    "phone",
    "language",
    "timezone",
    "channels",
    "external_id",
    "active",
)
_ADDRESS = re.compile(r"^[^@\s]{1,64}@[a-z0-9.-]{1,253}\.[a-z]{2,63}$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
_zones: frozenset[str] | None = None


def _all_zones() -> frozenset[str]:
    global _zones
    if _zones is None:
        _zones = frozenset(available_timezones()) | {"UTC"}
    return _zones


def address(value: object) -> str:
    """A normalised email address, or "" when it is not one."""
    text = str(value or "").strip().lower()[:254]
    return text if _ADDRESS.match(text) else ""


def phone(value: object) -> str:
    """An E.164 number (what SNS SMS needs) from what a directory holds: `tel:+1-201-555-0123`,
    `+44 7700 900123`; "" when it is not international."""
    text = str(value or "").strip().removeprefix("tel:")
    digits = re.sub(r"[\s().-]", "", text)
    return digits if _E164.match(digits) else ""


def zone(value: object) -> str:
    text = str(value or "").strip()
    return text if text in _all_zones() else ""


def language(value: object) -> str:
    """An RFC 5646 tag as the directory gives it (`en-US`, `fr`), or ""."""
    text = str(value or "").strip().replace("_", "-")
    return text if len(text) <= 35 and _LANGUAGE.match(text) else ""


def slugify(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:63]


def department_slug(text: str, departments: Mapping[str, str]) -> str:
    """The configured department a directory's department names (by slug or by name, ignoring
    case and punctuation), else the text as a slug: a department configured later under that
    slug finds its people."""
    wanted = slugify(text)
    if not wanted:
        return ""
    for slug, name in departments.items():
        if wanted in (slug, slugify(name)):
            return slug
    return wanted


# SCIM User -> person ---------------------------------------------------------------------------


def _values(items: object) -> list[dict[str, Any]]:
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _primary_first(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(items, key=lambda i: (not i.get("primary"), i.get("type") not in (None, "work")))


def _display_name(user: Mapping[str, Any]) -> str:
    name = user.get("name") if isinstance(user.get("name"), dict) else {}
    assert isinstance(name, dict)
    parts = [str(name.get(k) or "") for k in ("givenName", "familyName")]
    text = user.get("displayName") or name.get("formatted") or " ".join(p for p in parts if p)
    return " ".join(str(text or "").split())[:120]


def from_scim(user: Mapping[str, Any], *, departments: Mapping[str, str]) -> dict[str, Any]:
    """The fields the app uses, read from a SCIM User document (as the provider sent it)."""
    emails = [address(e.get("value")) for e in _primary_first(_values(user.get("emails")))]
    emails = list(dict.fromkeys(e for e in emails if e))[:MAX_EMAILS]
    mail = emails[0] if emails else address(user.get("userName"))
    phones = [phone(p.get("value")) for p in _primary_first(_values(user.get("phoneNumbers")))]
    enterprise = user.get(ENTERPRISE_SCHEMA) if isinstance(user.get(ENTERPRISE_SCHEMA), dict) else {}
    assert isinstance(enterprise, dict)
    department_name = str(enterprise.get("department") or "")[:200]
    active = user.get("active")
    return {
        "email": mail,
        "user_name": str(user.get("userName") or ""),
        "external_id": str(user.get("externalId") or "")[:300],
        "name": _display_name(user),
        "emails": emails if emails or not mail else [mail],
        "phone": next((p for p in phones if p), ""),
        "language": language(user.get("preferredLanguage")) or language(user.get("locale")),
        "timezone": zone(user.get("timezone")),
        "department": department_slug(department_name, departments),
        "department_name": department_name,
        "disabled": active is False,
    }


def person_key(fields: Mapping[str, Any], person_id: str) -> str:
    """Where a person's row lives: their address (sign-in finds them there), or their directory
    id when the directory gives them none (they cannot sign in; they can still be listed)."""
    return str(fields.get("email") or "") or f"id:{person_id}"


def channels(doc: Mapping[str, Any]) -> list[str]:
    """The channels a person can be reached on now: email with an address, SMS with a phone and
    when they chose it (email is the default; the choice is theirs or the import's)."""
    chosen = doc.get("channels") or ["email"]
    have = {"email": bool(doc.get("email")) and "@" in str(doc.get("email")), "sms": bool(doc.get("phone"))}
    return [c for c in CHANNELS if c in chosen and have[c]]


def scim_of(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A SCIM User for a person the directory did not provision (an admin gave them a role, or
    a CSV import made them): built from their fields."""
    user: dict[str, Any] = {
        "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA],
        "userName": doc.get("user_name") or doc.get("email") or doc.get("id"),
        "active": not doc.get("disabled"),
    }
    if doc.get("name"):
        user["displayName"] = doc["name"]
    given, family = doc.get("given_name"), doc.get("family_name")
    if given or family:
        user["name"] = {k: v for k, v in (("givenName", given), ("familyName", family)) if v}
    if doc.get("external_id"):
        user["externalId"] = doc["external_id"]
    emails = doc.get("emails") or ([doc["email"]] if "@" in str(doc.get("email", "")) else [])
    if emails:
        user["emails"] = [{"value": e, "type": "work", "primary": i == 0} for i, e in enumerate(emails)]
    if doc.get("phone"):
        user["phoneNumbers"] = [{"value": doc["phone"], "type": "mobile", "primary": True}]
    if doc.get("language"):
        user["preferredLanguage"] = doc["language"]
    if doc.get("timezone"):
        user["timezone"] = doc["timezone"]
    if doc.get("department_name") or doc.get("department"):
        user[ENTERPRISE_SCHEMA] = {"department": doc.get("department_name") or doc.get("department")}
    return user


def summary(doc: Mapping[str, Any]) -> dict[str, Any]:
    """What the audit trail keeps of a person (never the provider's whole document)."""
    keep = ("email", "id", "user_name", "external_id", "name", "department", "phone", "language", "timezone")
    return {k: doc.get(k) for k in keep if doc.get(k)} | {"active": not doc.get("disabled")}


# CSV import ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CsvRow:
    line: int
    person: dict[str, Any]  # the fields a SCIM User would give


def _csv_person(row: Mapping[str, str], departments: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    problems: list[str] = []
    mail = address(row.get("email"))
    if not mail:
        problems.append("email: an address is required")
    number = (row.get("phone") or "").strip()
    if number and not phone(number):
        problems.append("phone: an international number, e.g. +447700900123")
    tz = (row.get("timezone") or "").strip()
    if tz and not zone(tz):
        problems.append("timezone: an IANA time zone, e.g. Europe/Paris")
    lang = (row.get("language") or "").strip()
    if lang and not language(lang):
        problems.append("language: a language tag, e.g. en-GB")
    chosen = [c.strip().lower() for c in re.split(r"[;, ]+", row.get("channels") or "") if c.strip()]
    if any(c not in CHANNELS for c in chosen):
        problems.append(f"channels: some of {', '.join(CHANNELS)}")
    if "sms" in chosen and not number:
        problems.append("channels: sms needs a phone")
    active = (row.get("active") or "true").strip().lower()
    if active not in ("true", "false", "yes", "no", "1", "0"):
        problems.append("active: true or false")
    given, family = (row.get("given_name") or "").strip(), (row.get("family_name") or "").strip()
    name = " ".join((row.get("name") or f"{given} {family}").split())
    if len(name) > 120:
        problems.append("name: at most 120 characters")
    department_name = (row.get("department") or "").strip()
    if len(department_name) > 200:
        problems.append("department: at most 200 characters")
    person = {
        "email": mail,
        "user_name": mail,
        "external_id": (row.get("external_id") or "").strip()[:300],
        "name": name,
        "given_name": given[:60],
        "family_name": family[:60],
        "emails": [mail] if mail else [],
        "phone": phone(number),
        "language": language(lang),
        "timezone": zone(tz),
        "department": department_slug(department_name, departments),
        "department_name": department_name,
        "channels": chosen or ["email"],
        "disabled": active in ("false", "no", "0"),
    }
    return person, problems


def parse_csv(text: str, *, departments: Mapping[str, str]) -> tuple[list[CsvRow], list[dict[str, Any]]]:
    """(the people, the problems by line): a file is imported whole or not at all, so every bad
    row is listed at once. The first line names the columns (any order; `email` is required)."""
    try:
        return _parse_csv(text, departments)
    except csv.Error as exc:  # a NUL byte, a field past the csv module's limit, a broken quote
        return [], [{"line": 0, "problems": [f"not a CSV file: {exc}"[:200]]}]


def _parse_csv(text: str, departments: Mapping[str, str]) -> tuple[list[CsvRow], list[dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), restkey="_extra")
    header = [str(h or "").strip().lower() for h in reader.fieldnames or []]
    if "email" not in header:
        return [], [{"line": 1, "problems": [f"the first line names the columns: {', '.join(CSV_COLUMNS)}"]}]
    unknown = sorted(set(header) - set(CSV_COLUMNS))
    if unknown:
        return [], [{"line": 1, "problems": [f"unknown columns: {', '.join(unknown)}"]}]
    reader.fieldnames = header
    rows: list[CsvRow] = []
    problems: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(reader, start=2):
        if len(rows) + len(problems) >= MAX_CSV_ROWS:
            problems.append({"line": number, "problems": [f"at most {MAX_CSV_ROWS} people a file"]})
            break
        if raw.get("_extra"):
            problems.append({"line": number, "problems": ["more values than columns"]})
            continue
        person, wrong = _csv_person({k: str(v or "") for k, v in raw.items()}, departments)
        if person["email"] in seen:
            wrong.append(f"email: already on line {seen[person['email']]}")
        if wrong:
            problems.append({"line": number, "email": str(raw.get("email") or "")[:254], "problems": wrong})
            continue
        seen[person["email"]] = number
        rows.append(CsvRow(line=number, person=person))
    if not rows and not problems:
        problems.append({"line": 2, "problems": ["no people in the file"]})
    return rows, problems


def merge(existing: Mapping[str, Any] | None, fields: Mapping[str, Any]) -> dict[str, Any]:
    """A person's record with the directory's fields laid over what the app keeps of its own
    (role, who updated it): the same record, extended, never a second one."""
    base = dict(existing or {})
    base.setdefault("role", "everyone")
    return base | dict(fields)


def index_keys(doc: Mapping[str, Any]) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """The directory keys of a person: (userName lowered, externalIds, email addresses)."""
    user_name = str(doc.get("user_name") or "").lower()
    ext = (str(doc["external_id"]),) if doc.get("external_id") else ()
    mails: Iterable[str] = doc.get("emails") or ()
    return user_name, ext, tuple(dict.fromkeys(str(m).lower() for m in mails))
