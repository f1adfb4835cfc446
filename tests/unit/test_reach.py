"""Reaching people, the pure decisions: who gets a message on which channel, how recipients are
cut into SES calls, what reads add up to by department and in time, when the one reminder is
due, which SES events suppress an address, and read links bound to one person and message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.errors import LinkExpired, NotFound
from chalicelib.policy import read_links
from chalicelib.policy.reach import (
    SES_BATCH,
    Recipient,
    batches,
    fold,
    minutes_to,
    not_read,
    read_minute,
    recipients,
    reminder_at,
    sent_by_department,
    suppressions,
)

NOW = datetime.now(UTC).replace(microsecond=0)
KEY = b"unit-test-key"


def _person(n: int, **fields: object) -> dict[str, object]:
    return {"id": f"{n:032x}", "email": f"p{n}@example.com", "department": "ops", **fields}


def test_each_person_is_reached_on_the_channels_they_have_and_chose() -> None:
    people = [
        _person(1),
        _person(2, phone="+447700900123", channels=["email", "sms"]),
        _person(3, phone="+447700900124"),  # a phone, but SMS not chosen: mail only
        _person(4, channels=["sms"]),  # SMS chosen, no phone: nothing left
        _person(5, disabled=True),
        _person(6, email="", phone="+447700900125", channels=["sms"]),
    ]
    found = {r.person_id[-1]: (r.email, r.phone) for r in recipients(people)}
    assert found == {
        "1": ("p1@example.com", ""),
        "2": ("p2@example.com", "+447700900123"),
        "3": ("p3@example.com", ""),
        "6": ("", "+447700900125"),
    }


def test_a_suppressed_address_loses_mail_but_keeps_sms_and_a_group_reaches_only_its_people() -> None:
    people = [_person(1), _person(2, phone="+447700900123", channels=["email", "sms"]), _person(3)]
    found = recipients(people, suppressed=frozenset({"p1@example.com", "p2@example.com"}))
    assert [(r.email, r.phone) for r in found] == [("", "+447700900123"), ("p3@example.com", "")]
    assert [r.email for r in recipients(people, only=frozenset({"p3@example.com"}))] == ["p3@example.com"]


def test_a_language_the_app_does_not_ship_reads_english_and_a_person_without_department_is_counted() -> None:
    [r] = recipients([_person(1, language="fr-CA", department="")])
    assert (r.language, r.department) == ("en", "-")
    [r] = recipients([_person(1, language="de-AT")])
    assert r.language == "de"


def test_mail_goes_in_batches_of_fifty_per_language_and_sms_on_its_own() -> None:
    people = recipients(
        [_person(n, language="es" if n % 3 == 0 else "en") for n in range(130)]
        + [_person(500, phone="+447700900123", channels=["email", "sms"])]
    )
    cut = batches(people)
    mail = [b for b in cut if b.channel == "email"]
    assert all(len(b.people) <= SES_BATCH for b in cut)
    assert {b.language for b in mail} == {"en", "es"} and all(len({r.language for r in b.people}) == 1 for b in mail)
    assert sum(len(b.people) for b in mail) == 131 and len(mail) == 2 + 1  # 87 English, 44 Spanish
    assert [len(b.people) for b in cut if b.channel == "sms"] == [1]
    assert [b.number for b in cut] == list(range(len(cut)))
    assert batches(people) == cut  # the same people, the same batches: a repeat claims the same rows


def test_read_rates_fold_by_department_and_minutes_to_half_and_most() -> None:
    item = {"s|ops": 4, "s|sales": 6, "r|ops": 4, "r|sales": 1, "m|0": 2, "m|3": 2, "m|9": 1, "reminded": 5}
    reach = fold(item, {"message_id": "m", "kind": "brief", "title": "T", "sent_at": NOW.isoformat()})
    assert [(d.department, d.sent, d.read, d.percent) for d in reach.departments] == [
        ("ops", 4, 4, 100),
        ("sales", 6, 1, 17),
    ]
    assert (reach.sent, reach.read, reach.percent, reach.reminded) == (10, 5, 50, 5)
    assert reach.minutes_to(0.4) == 4 and reach.minutes_to(0.5) == 10 and reach.minutes_to(0.8) is None
    assert minutes_to({}, sent=0, fraction=0.5) is None


def test_a_read_falls_in_the_minute_after_sending_and_the_reminder_is_due_after_the_delay() -> None:
    assert read_minute(sent_at=NOW, now=NOW + timedelta(seconds=59)) == 0
    assert read_minute(sent_at=NOW, now=NOW + timedelta(minutes=61)) == 61
    assert reminder_at(sent_at=NOW, minutes=None) == NOW + timedelta(minutes=60)
    assert reminder_at(sent_at=NOW, minutes=15) == NOW + timedelta(minutes=15)
    assert reminder_at(sent_at=NOW, minutes=0) is None
    people = recipients([_person(1), _person(2)])
    assert [r.person_id for r in not_read(people, frozenset({people[0].person_id}))] == [people[1].person_id]
    assert sent_by_department(people) == {"ops": 2}


def test_a_permanent_bounce_and_a_complaint_suppress_and_a_transient_bounce_does_not() -> None:
    bounce = {
        "eventType": "Bounce",
        "bounce": {"bounceType": "Permanent", "bouncedRecipients": [{"emailAddress": "A@Example.com"}]},
    }
    complaint = {"notificationType": "Complaint", "complaint": {"complainedRecipients": [{"emailAddress": "b@x.io"}]}}
    transient = {
        "eventType": "Bounce",
        "bounce": {"bounceType": "Transient", "bouncedRecipients": [{"emailAddress": "c@x.io"}]},
    }
    assert [a for a, _ in suppressions(bounce)] == ["a@example.com"]
    assert suppressions(complaint) == [("b@x.io", "complaint")]
    assert suppressions(transient) == [] and suppressions({"eventType": "Delivery"}) == []
    assert suppressions({"eventType": "Bounce", "bounce": "nonsense"}) == []


def _token(person: str = "a" * 32, *, sent: datetime = NOW) -> str:
    return read_links.mint(
        key=KEY,
        incident_id="i" + "a" * 15,
        message_id="b" * 24,
        person_id=person,
        department="ops",
        expiry=read_links.expiry_for(sent),
    )


def test_a_read_link_verifies_for_its_person_and_message_and_knows_when_it_was_sent() -> None:
    read = read_links.verify(_token(), key=KEY, now=NOW)
    assert (read.person_id, read.department, read.sent_at) == ("a" * 32, "ops", NOW)


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t.replace("a" * 32, "c" * 32),  # another person's id under this signature
        lambda t: t.replace(".ops.", ".sales."),
        lambda t: t[:-3] + "AAA",
        lambda t: t + "x",
        lambda t: "nonsense",
    ],
)
def test_a_read_link_that_was_altered_is_not_ours(change: object) -> None:
    with pytest.raises(NotFound):
        read_links.verify(change(_token()), key=KEY, now=NOW)  # type: ignore[operator]


def test_a_read_link_signed_with_another_key_is_not_ours_and_a_late_one_has_expired() -> None:
    with pytest.raises(NotFound):
        read_links.verify(_token(), key=b"another-key", now=NOW)
    with pytest.raises(LinkExpired):
        read_links.verify(_token(sent=NOW - read_links.LIFETIME - timedelta(seconds=1)), key=KEY, now=NOW)


def test_a_recipient_survives_its_trip_through_a_delivery_row() -> None:
    [r] = recipients([_person(1, phone="+447700900123", channels=["sms"], timezone="Europe/Paris", name="P")])
    assert Recipient.of(r.short()) == r


def test_a_drill_at_pace_sixty_reminds_a_minute_of_delay_in_a_second() -> None:
    assert reminder_at(sent_at=NOW, minutes=30, pace=60) == NOW + timedelta(seconds=30)
    assert reminder_at(sent_at=NOW, minutes=30, pace=0.5) == NOW + timedelta(minutes=30)  # never slower than planned
