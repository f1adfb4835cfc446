"""The directory in the identity table. A person is the one `people` row sign-in already reads
(keyed by address), with a version (`rev`) and, while active in a department, `dept` (the sparse
department index). Beside it, written in the same transaction, the keys a provider looks people
up by, each a GetItem or a one-partition Query, never a Scan:

  directory / <id>                     -> the row's key (ids are the directory's, addresses change)
  directory|user|<userName lowered> / - -> the id (a conditional put: userName is unique)
  directory|ext|<externalId> / <id>     (externalId is the provider's, not unique across providers)
  directory|mail|<address> / <id>       (every email the person has)

Groups: `directory|groups` / <id> (the group without its members), `directory|members|<id>` /
<member id> and `directory|member-of|<member id>` / <group id> (both directions, so deleting a
person leaves no membership behind), `directory|gname|<name lowered>` and `directory|gext|<ext>`.
Provisioning clients: `directory|clients` / <id>, their token stored as its SHA-256. Who follows a
department: `follows|<slug>` / <address>. What a directory group fed into a stakeholder group:
`feed|<group>` / <address> (the SNS subscription it made)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import DeleteError, PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.errors import Conflict, PreconditionFailed, StoreUnavailable
from chalicelib.i18n import N_
from chalicelib.policy.directory import index_keys
from chalicelib.store.identity import PEOPLE
from chalicelib.store.models import IdentityModel

DIRECTORY = "directory"
GROUPS = "directory|groups"
CLIENTS = "directory|clients"


class Taken(Conflict):
    title = N_("Already taken")
    slug = "taken"


@dataclass(slots=True)
class Stored:
    """A directory row as read: its key, its document and the version it was read at (0: a
    person who was not in the directory yet, such as an admin's PUT)."""

    key: str
    doc: dict[str, Any]
    rev: int = 0


def _connection() -> Connection:
    # The model's own (cached) connection: a new one would build a botocore client per write.
    return IdentityModel._get_connection().connection


def _user_pk(user_name: str) -> str:
    return f"{DIRECTORY}|user|{user_name}"


def _commit(tx_items: list[tuple[str, IdentityModel, Any]], *, unique: Sequence[int] = ()) -> None:
    """("save"|"delete", row, condition) each, at once: one conditional write when there is one
    (most changes touch no key), else one TransactWriteItems. A failed condition on an item listed
    in `unique` is a taken value (409); on any other, a version changed meanwhile (412)."""
    if len(tx_items) == 1:
        action, row, condition = tx_items[0]
        try:
            row.save(condition=condition) if action == "save" else row.delete(condition=condition)
        except (PutError, DeleteError) as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            _refuse([0], unique)
        return
    try:
        with TransactWrite(connection=_connection()) as tx:
            for action, row, condition in tx_items:
                if action == "save":
                    tx.save(row, condition=condition)
                else:
                    tx.delete(row, condition=condition)
    except TransactWriteError as exc:
        reasons = [r.code if r else None for r in exc.cancellation_reasons]
        _refuse([i for i, code in enumerate(reasons) if code == "ConditionalCheckFailed"], unique)
        raise StoreUnavailable("the directory write met another one: retry") from None


def _refuse(failed: Sequence[int], unique: Sequence[int]) -> None:
    if any(i in unique for i in failed):
        raise Taken(N_("that userName (or address, or display name) is already someone else's")) from None
    if failed:
        raise PreconditionFailed(N_("it changed since it was read: read it again and retry")) from None


def _query_sks(pk: str) -> list[str]:
    return [row.sk for row in IdentityModel.query(pk, consistent_read=True, attributes_to_get=["pk", "sk"])]


def _get(pk: str, sk: str) -> IdentityModel | None:
    try:
        return IdentityModel.get(pk, sk, consistent_read=True)
    except IdentityModel.DoesNotExist:
        return None


# People ----------------------------------------------------------------------------------------


def person_at(key: str) -> Stored | None:
    row = _get(PEOPLE, key)
    return None if row is None else Stored(key=key, doc=dict(row.doc), rev=int(row.rev or 0))


def person_by_id(person_id: str) -> Stored | None:
    pointer = _get(DIRECTORY, person_id[:64])
    if pointer is None:
        return None
    found = person_at(str(pointer.doc.get("key", "")))
    return found if found is not None and found.doc.get("id") == person_id else None


def ids_by_user_name(user_name: str) -> list[str]:
    row = _get(_user_pk(user_name.lower()[:1000]), "-")
    return [str(row.doc["id"])] if row is not None else []


def ids_by_external_id(external_id: str) -> list[str]:
    return _query_sks(f"{DIRECTORY}|ext|{external_id[:300]}")


def ids_by_email(mail: str) -> list[str]:
    return _query_sks(f"{DIRECTORY}|mail|{mail.lower()[:254]}")


def all_ids() -> list[str]:
    """Every person in the directory, by id (small items: 10,000 people are one or two pages)."""
    return _query_sks(DIRECTORY)


def people_by_ids(ids: Sequence[str]) -> list[Stored]:
    """The people with these ids, in that order (two BatchGetItems a hundred)."""
    keys: dict[str, str] = {}
    for i in range(0, len(ids), 100):
        for row in IdentityModel.batch_get([(DIRECTORY, x) for x in ids[i : i + 100]]):
            keys[row.sk] = str(row.doc.get("key", ""))
    rows: dict[str, Stored] = {}
    wanted = [keys[x] for x in ids if x in keys]
    for i in range(0, len(wanted), 100):
        for row in IdentityModel.batch_get([(PEOPLE, k) for k in wanted[i : i + 100]], consistent_read=True):
            rows[row.sk] = Stored(key=row.sk, doc=dict(row.doc), rev=int(row.rev or 0))
    found = [(x, rows.get(keys.get(x, ""))) for x in ids]
    return [s for x, s in found if s is not None and s.doc.get("id") == x]


def people_at(keys: Sequence[str]) -> dict[str, Stored]:
    """The rows at these keys that exist (BatchGetItem, a hundred a call)."""
    found: dict[str, Stored] = {}
    for i in range(0, len(keys), 100):
        for row in IdentityModel.batch_get([(PEOPLE, k) for k in keys[i : i + 100]], consistent_read=True):
            found[row.sk] = Stored(key=row.sk, doc=dict(row.doc), rev=int(row.rev or 0))
    return found


def ids_by_user_names(user_names: Sequence[str]) -> dict[str, str]:
    """userName (lowered) -> the id that holds it, for those taken."""
    found: dict[str, str] = {}
    wanted = list(dict.fromkeys(n.lower() for n in user_names))
    for i in range(0, len(wanted), 100):
        for row in IdentityModel.batch_get([(_user_pk(n), "-") for n in wanted[i : i + 100]], consistent_read=True):
            found[row.pk.removeprefix(f"{DIRECTORY}|user|")] = str(row.doc["id"])
    return found


def put_new_people(people: Sequence[Stored]) -> None:
    """New people and their keys in BatchWriteItems (25 items a call): an import checked them all
    first (no address or userName taken), where a transaction each would take minutes."""
    with IdentityModel.batch_write() as batch:
        for stored in people:
            person_id = str(stored.doc["id"])
            batch.save(_row(stored, rev=1))
            batch.save(IdentityModel(DIRECTORY, person_id, doc={"key": stored.key}))
            user, ext, mail = index_keys(stored.doc)
            if user:
                batch.save(IdentityModel(_user_pk(user), "-", doc={"id": person_id}))
            for value in ext:
                batch.save(IdentityModel(f"{DIRECTORY}|ext|{value}", person_id, doc={}))
            for value in mail:
                batch.save(IdentityModel(f"{DIRECTORY}|mail|{value}", person_id, doc={}))


def in_department(slug: str) -> list[dict[str, Any]]:
    """The active people of a department (the sparse index: one Query)."""
    return [dict(row.doc) for row in IdentityModel.department_index.query(slug[:63])]


def _row(stored: Stored, *, rev: int) -> IdentityModel:
    doc = stored.doc
    active_dept = str(doc.get("department") or "") if not doc.get("disabled") else ""
    return IdentityModel(PEOPLE, stored.key, doc=doc, rev=rev, dept=active_dept or None)


def save_person(new: Stored, before: Stored | None, *, replacing: Stored | None = None) -> int:
    """Write a person's row and their directory keys in one transaction, conditional on the
    version `before` was read at; `replacing` is a row already at the new key that is not in the
    directory (an admin's PUT: its role was merged into `new`). The new version."""
    rev = (before.rev if before else 0) + 1
    person_id = str(new.doc["id"])
    items: list[tuple[str, IdentityModel, Any]] = []
    unique: list[int] = []
    old_user, old_ext, old_mail = index_keys(before.doc) if before else ("", (), ())
    user, ext, mail = index_keys(new.doc)
    row = _row(new, rev=rev)
    if before is not None and before.key == new.key:
        items.append(
            ("save", row, IdentityModel.rev == before.rev if before.rev else IdentityModel.rev.does_not_exist())
        )
    else:
        at_new = IdentityModel.rev.does_not_exist() if replacing is not None else IdentityModel.sk.does_not_exist()
        unique.append(len(items))  # another person already lives at this address
        items.append(("save", row, at_new))
        if before is not None:
            items.append(("delete", IdentityModel(PEOPLE, before.key), _rev_is(before)))
    if before is None or before.key != new.key:
        items.append(("save", IdentityModel(DIRECTORY, person_id, doc={"key": new.key}), None))
    if user != old_user:
        if old_user:
            items.append(("delete", IdentityModel(_user_pk(old_user), "-"), None))
        if user:
            unique.append(len(items))
            items.append(
                ("save", IdentityModel(_user_pk(user), "-", doc={"id": person_id}), IdentityModel.pk.does_not_exist())
            )
    for pk, old, now in ((f"{DIRECTORY}|ext|", old_ext, ext), (f"{DIRECTORY}|mail|", old_mail, mail)):
        for value in set(old) - set(now):
            items.append(("delete", IdentityModel(pk + value, person_id), None))
        for value in set(now) - set(old):
            items.append(("save", IdentityModel(pk + value, person_id, doc={}), None))
    _commit(items, unique=unique)
    return rev


def _rev_is(stored: Stored) -> Any:
    return IdentityModel.rev == stored.rev if stored.rev else IdentityModel.rev.does_not_exist()


def delete_person(stored: Stored) -> None:
    """The person's row and every directory key of theirs, in one transaction."""
    person_id = str(stored.doc["id"])
    user, ext, mail = index_keys(stored.doc)
    items: list[tuple[str, IdentityModel, Any]] = [
        ("delete", IdentityModel(PEOPLE, stored.key), _rev_is(stored)),
        ("delete", IdentityModel(DIRECTORY, person_id), None),
    ]
    if user:
        items.append(("delete", IdentityModel(_user_pk(user), "-"), None))
    items += [("delete", IdentityModel(f"{DIRECTORY}|ext|{v}", person_id), None) for v in ext]
    items += [("delete", IdentityModel(f"{DIRECTORY}|mail|{v}", person_id), None) for v in mail]
    _commit(items)


# Groups ----------------------------------------------------------------------------------------


def _gname_pk(name: str) -> str:
    return f"{DIRECTORY}|gname|{name.lower()[:1000]}"


def group(group_id: str) -> Stored | None:
    row = _get(GROUPS, group_id[:64])
    return None if row is None else Stored(key=group_id, doc=dict(row.doc), rev=int(row.rev or 0))


def groups() -> list[Stored]:
    return [Stored(key=r.sk, doc=dict(r.doc), rev=int(r.rev or 0)) for r in IdentityModel.query(GROUPS)]


def group_ids_by_name(name: str) -> list[str]:
    return _query_sks(_gname_pk(name))


def group_ids_by_external_id(external_id: str) -> list[str]:
    return _query_sks(f"{DIRECTORY}|gext|{external_id[:300]}")


def members(group_id: str) -> dict[str, dict[str, Any]]:
    """Member id -> {"type", "display"}."""
    return {row.sk: dict(row.doc) for row in IdentityModel.query(f"{DIRECTORY}|members|{group_id}")}


def groups_of(member_id: str) -> list[str]:
    return _query_sks(f"{DIRECTORY}|member-of|{member_id}")


def save_group(new: Stored, before: Stored | None, *, members_now: dict[str, dict[str, Any]]) -> int:
    """The group row (conditional on its version) and its name keys in one transaction; its
    members as the difference from what is stored, both directions, before it (a retry after a
    failure finds the members written and converges)."""
    group_id = new.key
    stored = members(group_id) if before is not None else {}
    puts = [(m, doc) for m, doc in members_now.items() if stored.get(m) != doc]
    gone = [m for m in stored if m not in members_now]
    with IdentityModel.batch_write() as batch:
        for member_id, doc in puts:
            batch.save(IdentityModel(f"{DIRECTORY}|members|{group_id}", member_id, doc=doc))
            batch.save(IdentityModel(f"{DIRECTORY}|member-of|{member_id}", group_id, doc={}))
        for member_id in gone:
            batch.delete(IdentityModel(f"{DIRECTORY}|members|{group_id}", member_id))
            batch.delete(IdentityModel(f"{DIRECTORY}|member-of|{member_id}", group_id))
    rev = (before.rev if before else 0) + 1
    row = IdentityModel(GROUPS, group_id, doc=new.doc, rev=rev)
    items: list[tuple[str, IdentityModel, Any]] = [
        ("save", row, _rev_is(before) if before else IdentityModel.sk.does_not_exist())
    ]
    old_name = str(before.doc.get("display_name") or "").lower() if before else ""
    name = str(new.doc.get("display_name") or "").lower()
    if name != old_name:
        if old_name:
            items.append(("delete", IdentityModel(_gname_pk(old_name), group_id), None))
        items.append(("save", IdentityModel(_gname_pk(name), group_id, doc={}), None))
    old_ext = str(before.doc.get("external_id") or "") if before else ""
    ext = str(new.doc.get("external_id") or "")
    if ext != old_ext:
        if old_ext:
            items.append(("delete", IdentityModel(f"{DIRECTORY}|gext|{old_ext}", group_id), None))
        if ext:
            items.append(("save", IdentityModel(f"{DIRECTORY}|gext|{ext}", group_id, doc={}), None))
    _commit(items)
    return rev


def delete_group(stored: Stored) -> None:
    save_group_members_empty(stored.key)
    items: list[tuple[str, IdentityModel, Any]] = [("delete", IdentityModel(GROUPS, stored.key), _rev_is(stored))]
    name = str(stored.doc.get("display_name") or "").lower()
    if name:
        items.append(("delete", IdentityModel(_gname_pk(name), stored.key), None))
    if stored.doc.get("external_id"):
        items.append(("delete", IdentityModel(f"{DIRECTORY}|gext|{stored.doc['external_id']}", stored.key), None))
    _commit(items)


def save_group_members_empty(group_id: str) -> None:
    with IdentityModel.batch_write() as batch:
        for member_id in members(group_id):
            batch.delete(IdentityModel(f"{DIRECTORY}|members|{group_id}", member_id))
            batch.delete(IdentityModel(f"{DIRECTORY}|member-of|{member_id}", group_id))


def leave_groups(member_id: str) -> list[str]:
    """Take a member out of every group (a person deleted); the groups they were in."""
    left = groups_of(member_id)
    with IdentityModel.batch_write() as batch:
        for group_id in left:
            batch.delete(IdentityModel(f"{DIRECTORY}|members|{group_id}", member_id))
            batch.delete(IdentityModel(f"{DIRECTORY}|member-of|{member_id}", group_id))
    return left


# Provisioning clients ---------------------------------------------------------------------------


def save_client(doc: dict[str, Any]) -> None:
    IdentityModel(CLIENTS, doc["id"], doc=doc).save(condition=IdentityModel.sk.does_not_exist())


def client(client_id: str) -> dict[str, Any] | None:
    row = _get(CLIENTS, client_id[:32])
    return None if row is None else dict(row.doc)


def clients() -> list[dict[str, Any]]:
    return [dict(row.doc) for row in IdentityModel.query(CLIENTS)]


def amend_client(client_id: str, **fields: Any) -> None:
    row = _get(CLIENTS, client_id)
    if row is not None:
        row.doc = {**row.doc, **fields}
        row.save()


# Followers and feeds ---------------------------------------------------------------------------


def follow(slug: str, email: str, *, at: str, zone: str = "") -> None:
    """`zone`: the one their subscription's filter names (their digests come at 08:00 there)."""
    IdentityModel(f"follows|{slug}", email, doc={"at": at, **({"zone": zone} if zone else {})}).save()


def unfollow(slug: str, email: str) -> None:
    IdentityModel(f"follows|{slug}", email).delete()


def followers(slug: str) -> list[str]:
    return _query_sks(f"follows|{slug}")


def follower_zones(slug: str) -> dict[str, str]:
    """Address -> the zone their follow subscription names ("": one made before follows had zones)."""
    return {row.sk: str(row.doc.get("zone") or "") for row in IdentityModel.query(f"follows|{slug}")}


def fed(slug: str) -> dict[str, str]:
    """Address -> the SNS subscription a directory group's feed made in this stakeholder group."""
    return {row.sk: str(row.doc.get("arn", "")) for row in IdentityModel.query(f"feed|{slug}", consistent_read=True)}


def record_fed(slug: str, email: str, arn: str) -> None:
    IdentityModel(f"feed|{slug}", email, doc={"arn": arn}).save()


def forget_fed(slug: str, email: str) -> None:
    IdentityModel(f"feed|{slug}", email).delete()
