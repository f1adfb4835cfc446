"""The person record as the directory describes it: read from a SCIM User or a CSV row, purely."""

from __future__ import annotations

from chalicelib.policy.directory import (
    ENTERPRISE_SCHEMA,
    channels,
    department_slug,
    from_scim,
    index_keys,
    parse_csv,
    person_key,
    phone,
    scim_of,
)

DEPARTMENTS = {"customer-care": "Customer care", "inflight": "Inflight and cabin crew"}


def test_a_directory_department_finds_the_configured_one_by_slug_or_name() -> None:
    assert department_slug("Customer Care", DEPARTMENTS) == "customer-care"
    assert department_slug("INFLIGHT AND CABIN CREW", DEPARTMENTS) == "inflight"
    assert department_slug("Légal & Compliance", DEPARTMENTS) == "legal-compliance"  # found when configured later
    assert department_slug("  ", DEPARTMENTS) == ""


def test_a_scim_user_gives_the_fields_the_app_uses_and_drops_what_it_cannot_use() -> None:
    user = {
        "userName": "AUser@Example.com",
        "name": {"givenName": "Ana", "familyName": "Ruiz"},
        "emails": [
            {"value": "ana.home@example.org", "type": "home"},
            {"value": "Ana.Ruiz@Example.com", "type": "work", "primary": True},
        ],
        "phoneNumbers": [{"value": "555-0123"}, {"value": "tel:+34-600-123-456", "type": "mobile"}],
        "preferredLanguage": "es_ES",
        "timezone": "Mars/Olympus",
        "active": False,
        ENTERPRISE_SCHEMA: {"department": "customer care"},
    }
    fields = from_scim(user, departments=DEPARTMENTS)
    assert fields["email"] == "ana.ruiz@example.com"  # the primary email, lowered: where sign-in finds her
    assert fields["emails"] == ["ana.ruiz@example.com", "ana.home@example.org"]
    assert (fields["name"], fields["phone"], fields["language"]) == ("Ana Ruiz", "+34600123456", "es-ES")
    assert fields["timezone"] == "" and fields["disabled"] is True
    assert (fields["department"], fields["department_name"]) == ("customer-care", "customer care")
    assert index_keys(fields) == ("auser@example.com", (), ("ana.ruiz@example.com", "ana.home@example.org"))


def test_a_person_without_an_address_lives_under_their_id_and_is_reached_on_what_they_have() -> None:
    fields = from_scim({"userName": "not-an-address"}, departments={})
    assert fields["email"] == "" and person_key(fields, "abc") == "id:abc"
    assert channels({"email": "a@example.com", "phone": "+447700900123"}) == ["email"]  # sms only when chosen
    assert channels({"email": "a@example.com", "phone": "+447700900123", "channels": ["email", "sms"]}) == [
        "email",
        "sms",
    ]
    assert channels({"email": "", "phone": "", "channels": ["sms"]}) == []
    assert phone("07700 900123") == "" and phone("+1 (201) 555-0123") == "+12015550123"


def test_a_person_the_directory_did_not_provision_reads_as_a_scim_user() -> None:
    user = scim_of({"email": "bo@example.com", "name": "Bo", "department": "inflight", "phone": "+447700900123"})
    assert user["userName"] == "bo@example.com" and user["active"] is True
    assert user["emails"] == [{"value": "bo@example.com", "type": "work", "primary": True}]
    assert user[ENTERPRISE_SCHEMA] == {"department": "inflight"}


def test_a_csv_file_lists_every_bad_row_by_its_line() -> None:
    text = (
        "\ufeffEmail,Name,Department,Phone,Channels,Active\n"
        "ana@example.com,Ana,Customer care,+447700900123,email;sms,true\n"
        "bad,Bo,,,,\n"
        "cy@example.com,Cy,,,sms,maybe\n"
        "ana@example.com,Again,,,,\n"
        "dee@example.com,Dee,Inflight and cabin crew,,,false\n"
    )
    rows, problems = parse_csv(text, departments=DEPARTMENTS)
    assert [r.line for r in rows] == [2, 6]
    assert rows[0].person["channels"] == ["email", "sms"] and rows[0].person["department"] == "customer-care"
    assert rows[1].person["disabled"] is True and rows[1].person["department"] == "inflight"
    assert [p["line"] for p in problems] == [3, 4, 5]
    assert problems[1]["problems"] == ["channels: sms needs a phone", "active: true or false"]
    assert problems[2]["problems"] == ["email: already on line 2"]
    assert parse_csv("name\nAna\n", departments={})[1][0]["problems"][0].startswith("the first line names")
    assert "unknown columns: salary" in parse_csv("email,salary\n", departments={})[1][0]["problems"][0]


def test_what_is_not_a_csv_file_is_one_problem_not_a_crash() -> None:
    rows, problems = parse_csv("email\n" + "x" * 200_000 + "\n", departments={})  # past the csv module's limit
    assert rows == [] and problems[0]["problems"][0].startswith("not a CSV file")
