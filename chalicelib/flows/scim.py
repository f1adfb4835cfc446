"""The directory as a SCIM 2.0 service provider (RFC 7643/7644): the protocol is scim2-server's
(validation, PUT and PATCH applied to the resource, filters parsed and matched, ETags,
ListResponses, errors in SCIM's own schema), the models scim2-models'; this module is the
storage it calls, on the directory (flows/directory.py writes, store/directory.py reads).

Heavy to import (pydantic models, about half a second cold): api/scim.py imports it inside its
routes only, so no other Lambda invocation pays for it.

Searches never Scan: `id`, `userName`, `externalId`, `emails.value` (and a Group's
`displayName` or `externalId`) are keys, read with a GetItem or a one-partition Query, also
inside an `and` or a value path (`emails[value eq "..."]`); the library's matcher then applies
the whole filter to those candidates. Any other filter reads the directory's people (two
BatchGetItems a hundred) and matches them; a page without a filter reads only its own people."""

from __future__ import annotations

import functools
from typing import Any, cast

from scim2_models import (
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    EnterpriseUser,
    ETag,
    External,
    Filter,
    Group,
    GroupMember,
    InvalidValueException,
    Meta,
    NotFoundException,
    Patch,
    PreconditionFailedException,
    Reference,
    Resource,
    ResourceType,
    ResponseParameters,
    ScimFilter,
    ScimProvider,
    SearchRequest,
    ServiceProviderConfig,
    Sort,
    UniquenessException,
    User,
)
from scim2_models.path import CompareOperator, Comparison, LogicalExpr, LogicalOperator, ValuePath
from scim2_server.handler import ScimHandler
from scim2_server.requests import ScimRequest
from scim2_server.responses import ScimResponse
from scim2_server.service import ScimService
from scim2_server.storage import ScimStorage, SearchPage
from scim2_server.utils import parametrize

from chalicelib.clock import isoformat, parse_timestamp, utcnow
from chalicelib.errors import PreconditionFailed, SharedwatchError
from chalicelib.flows import directory as flows
from chalicelib.observability import logger
from chalicelib.policy.directory import from_scim, scim_of
from chalicelib.store import directory
from chalicelib.store.audit import Actor
from chalicelib.store.directory import Stored, Taken

MAX_RESULTS = 200
UserModel = User[EnterpriseUser]
_KEYS = {"userName": "user", "externalId": "ext", "emails.value": "mail", "id": "id", "displayName": "name"}


class DirectoryService(ScimService):
    def patch_response(
        self, base_url: str, resource: Resource[Any], response_parameters: ResponseParameters[Any]
    ) -> ScimResponse:
        """200 with the resource, never 204: Okta reads the user back from a PATCH's answer."""
        from scim2_models import Context

        published = self.publish(base_url, resource)
        return self.resource_response(published, Context.RESOURCE_REPLACEMENT_RESPONSE, response_parameters)


@functools.cache
def service() -> ScimService:
    config = ServiceProviderConfig(
        documentation_uri=Reference[External]("https://datatracker.ietf.org/doc/html/rfc7644"),
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=True),
        authentication_schemes=[
            AuthenticationScheme(
                type=AuthenticationScheme.Type.oauthbearertoken,
                name="Provisioning token",
                description="A bearer token made for this provider in the console (Directory)",
                primary=True,
            )
        ],
    )
    provider = ScimProvider(
        models=[User, EnterpriseUser, Group],
        resource_types=[ResourceType.from_resource(UserModel), ResourceType.from_resource(Group)],
        config=config,
    )
    return DirectoryService(provider)


def serve(request: ScimRequest, *, actor: Actor | None) -> ScimResponse:
    """One SCIM request, as the provisioning client `actor` (None: not authenticated, and only
    the ServiceProviderConfig answers then, RFC 7643 §5). Every failure is a SCIM error."""
    from http import HTTPStatus

    from scim2_models import Error, SCIMException, UnauthorizedException
    from scim2_server.routing import Operation

    scim = service()
    try:
        operation = scim.match(request).operation
        if actor is None and operation is not Operation.service_provider_config:
            raise UnauthorizedException(
                detail="send Authorization: Bearer <the provisioning token made in the console>"
            )
        response = ScimHandler(scim, DirectoryStorage(actor)).handle(request)
    except SCIMException as exc:
        response = scim.error_response(exc)
    except SharedwatchError as exc:  # the store is slow or down (503), out of time: the provider retries
        response = ScimResponse(HTTPStatus(exc.status), Error(status=exc.status, detail=exc.detail).model_dump())
        if exc.status in (429, 503):
            response.headers["Retry-After"] = str(exc.extra.get("retry_after", 30))
    except Exception:
        logger.exception("SCIM request failed")
        response = scim.error_response(RuntimeError("internal"))
    response.headers.setdefault("Cache-Control", "no-store")
    return response


# Resources <-> the directory -------------------------------------------------------------------


def _meta(resource_type: str, doc: dict[str, Any], rev: int) -> Meta:
    created = parse_timestamp(str(doc.get("created_at") or doc.get("updated_at") or isoformat(utcnow())))
    modified = parse_timestamp(str(doc.get("updated_at") or isoformat(created)))
    return Meta(resource_type=resource_type, created=created, last_modified=modified, version=f'W/"{rev}"')


def user_of(stored: Stored) -> Resource[Any]:
    doc = stored.doc
    body = dict(doc.get("scim") or scim_of(doc))
    user = UserModel.model_validate(body)
    user.id = str(doc["id"])
    # Deactivated is false whatever the document says; else what the provider sent (it may have
    # removed the attribute: absent is not deactivated).
    user.active = False if doc.get("disabled") else (True if body.get("active") is not None else None)
    user.meta = _meta("User", doc, stored.rev)
    return user


def _user_document(resource: Resource[Any]) -> dict[str, Any]:
    """What the provider sent, to give back as it sent it (never a password: this app has none)."""
    body = resource.model_dump()
    for key in ("id", "meta", "password", "groups"):
        body.pop(key, None)
    return body


def group_of(stored: Stored, *, with_members: bool = True) -> Resource[Any]:
    doc = stored.doc
    body = dict(doc.get("scim") or {"displayName": doc.get("display_name", "")})
    found = Group.model_validate(body)
    found.id = stored.key
    if with_members:
        found.members = [
            GroupMember(
                value=member_id,
                type=m.get("type") or "User",
                display=m.get("display") or None,
                ref=f"{'Groups' if m.get('type') == 'Group' else 'Users'}/{member_id}",  # type: ignore[arg-type]
            )
            for member_id, m in sorted(directory.members(stored.key).items())
        ] or None
    found.meta = _meta("Group", doc, stored.rev)
    return found


def _keyed(node: Any, scim_filter: Any) -> list[tuple[str, str]] | None:
    """The (key, value) pairs whose people (or groups) contain every match of the filter, or
    None when the filter names no key (or names one inside an `or` with something else)."""
    if isinstance(node, Comparison):
        if node.op != CompareOperator.eq or not isinstance(node.value, str):
            return None
        binding = scim_filter.resolve_comparison(node.attr_path, strict=False)
        name = binding.urn.rsplit(":", 1)[-1] if binding is not None else ""
        return [(_KEYS[name], node.value)] if name in _KEYS else None
    if isinstance(node, ValuePath):
        return _keyed_emails(node)
    if isinstance(node, LogicalExpr):
        found = [_keyed(term, scim_filter) for term in node.terms]
        if node.op == LogicalOperator.and_:
            return next((f for f in found if f is not None), None)
        if all(f is not None for f in found):
            return [pair for f in found for pair in cast(list[tuple[str, str]], f)]
    return None


def _keyed_emails(node: ValuePath) -> list[tuple[str, str]] | None:
    """`emails[value eq "..."]` (and `emails[type eq "work" and value eq "..."]`)."""
    inner = node.val_filter
    if str(node.attr_path.attr).lower() != "emails":
        return None
    if isinstance(inner, LogicalExpr) and inner.op != LogicalOperator.and_:
        return None
    for term in inner.terms if isinstance(inner, LogicalExpr) else (inner,):
        if (
            isinstance(term, Comparison)
            and term.op == CompareOperator.eq
            and isinstance(term.value, str)
            and str(term.attr_path.attr).lower() == "value"
        ):
            return [("mail", term.value)]
    return None


def _user_ids(pairs: list[tuple[str, str]]) -> list[str]:
    ids: dict[str, None] = {}
    for key, value in pairs:
        if key == "user":
            found = directory.ids_by_user_name(value)
        elif key == "ext":
            found = directory.ids_by_external_id(value)
        elif key == "mail":
            found = directory.ids_by_email(value)
        elif key == "id":
            found = [value]
        else:
            found = []
        ids.update(dict.fromkeys(found))
    return list(ids)


def _group_ids(pairs: list[tuple[str, str]]) -> list[str] | None:
    ids: dict[str, None] = {}
    for key, value in pairs:
        if key == "name":
            ids.update(dict.fromkeys(directory.group_ids_by_name(value)))
        elif key == "ext":
            ids.update(dict.fromkeys(directory.group_ids_by_external_id(value)))
        elif key == "id":
            ids[value] = None
        else:
            return None
    return list(ids)


def _wants_members(request: SearchRequest[Any]) -> bool:
    """Whether a search needs groups' members: Entra ID asks for groups without them
    (`excludedAttributes=members`), and a big group's members are many reads."""
    excluded = {str(a).rsplit(":", 1)[-1].lower() for a in request.excluded_attributes or []}
    filtered = request.filter is not None and "members" in str(request.filter).lower()
    return "members" not in excluded or filtered


def _page(found: list[Resource[Any]], request: SearchRequest[Any], total: int | None = None) -> SearchPage:
    start = request.start_index_0 or 0
    stop = None if request.count is None else start + request.count
    return SearchPage(len(found) if total is None else total, found[start:stop])


def _conflict(exc: Taken) -> UniquenessException:
    return UniquenessException(detail=exc.detail)


class DirectoryStorage(ScimStorage):
    """scim2-server's storage, on the directory. Every write goes through flows/directory.py,
    so a SCIM change and a CSV row or an admin's edit do the same thing (deactivation ends
    sessions and tokens; the audit trail names the client)."""

    def __init__(self, actor: Actor | None) -> None:
        self.actor = actor or Actor(id="scim", via="scim")

    # Reads ---------------------------------------------------------------------------------------

    def get(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        response_parameters: ResponseParameters[Any] | None = None,
    ) -> Resource[Any]:
        if resource_type.name == "User":
            found = directory.person_by_id(resource_id)
            if found is None:
                raise NotFoundException(detail=f"no user {resource_id[:64]!r}")
            return user_of(found)
        group = directory.group(resource_id)
        if group is None:
            raise NotFoundException(detail=f"no group {resource_id[:64]!r}")
        excluded = response_parameters is not None and "members" in {
            str(a) for a in (response_parameters.excluded_attributes or [])
        }
        return group_of(group, with_members=not excluded)

    def search(
        self,
        resource_types: list[ResourceType],
        search_request: SearchRequest[Any],
        *,
        position: Any = None,
    ) -> SearchPage:
        found: list[Resource[Any]] = []
        total = 0
        for resource_type in resource_types:
            model = UserModel if resource_type.name == "User" else Group
            scim_filter = search_request.filter
            if scim_filter is not None and not scim_filter.models:
                scim_filter = parametrize(ScimFilter, model)(str(scim_filter))
            if resource_type.name == "User" and scim_filter is None and len(resource_types) == 1:
                ids = directory.all_ids()
                start = search_request.start_index_0 or 0
                stop = len(ids) if search_request.count is None else start + search_request.count
                page = [user_of(s) for s in directory.people_by_ids(ids[start:stop])]
                return SearchPage(len(ids), page)
            candidates = self._candidates(str(resource_type.name), scim_filter, _wants_members(search_request))
            matched = [r for r in candidates if scim_filter is None or scim_filter.match(r)]
            found += matched
            total += len(matched)
        return _page(found, search_request, total)

    def _candidates(self, name: str, scim_filter: Any, with_members: bool = True) -> list[Resource[Any]]:
        pairs = _keyed(scim_filter.ast, scim_filter) if scim_filter is not None else None
        if name == "User":
            ids = _user_ids(pairs) if pairs is not None else directory.all_ids()
            return [user_of(s) for s in directory.people_by_ids(ids)]
        group_ids = _group_ids(pairs) if pairs is not None else None
        if group_ids is None:
            return [group_of(g, with_members=with_members) for g in sorted(directory.groups(), key=lambda g: g.key)]
        found = (directory.group(i) for i in group_ids)
        return [group_of(g, with_members=with_members) for g in found if g is not None]

    # Writes --------------------------------------------------------------------------------------

    def create(self, resource_type: ResourceType, resource: Resource[Any]) -> Resource[Any]:
        now = utcnow()
        try:
            if resource_type.name == "User":
                body = _user_document(resource)
                fields = from_scim(body, departments=flows.departments())
                taken = directory.ids_by_user_name(fields["user_name"])
                if taken:
                    raise UniquenessException(detail=f"userName {fields['user_name'][:80]!r} is someone's already")
                made = flows.provision(fields=fields, scim=body, actor=self.actor, now=now, source=self._source())
                return user_of(made)
            members = self._members(resource)
            saved = flows.save_group(
                before=None, doc=self._group_doc(resource), members=members, actor=self.actor, now=now
            )
            return group_of(saved)
        except Taken as exc:
            raise _conflict(exc) from None

    def update(
        self,
        resource_type: ResourceType,
        resource: Resource[Any],
        *,
        expected_version: str | None = None,
    ) -> Resource[Any]:
        now = utcnow()
        resource_id = str(resource.id)
        try:
            if resource_type.name == "User":
                before = directory.person_by_id(resource_id)
                if before is None:
                    raise NotFoundException(detail=f"no user {resource_id[:64]!r}")
                self._check_version(before, expected_version)
                body = _user_document(resource)
                fields = from_scim(body, departments=flows.departments())
                taken = directory.ids_by_user_name(fields["user_name"])
                if taken and taken != [resource_id]:
                    raise UniquenessException(detail=f"userName {fields['user_name'][:80]!r} is someone's already")
                return user_of(flows.change(before=before, fields=fields, scim=body, actor=self.actor, now=now))
            group = directory.group(resource_id)
            if group is None:
                raise NotFoundException(detail=f"no group {resource_id[:64]!r}")
            self._check_version(group, expected_version)
            members = self._members(resource)
            saved = flows.save_group(
                before=group, doc=self._group_doc(resource), members=members, actor=self.actor, now=now
            )
            return group_of(saved)
        except Taken as exc:
            raise _conflict(exc) from None
        except PreconditionFailed:
            raise PreconditionFailedException from None

    def delete(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        expected_version: str | None = None,
    ) -> None:
        now = utcnow()
        try:
            if resource_type.name == "User":
                before = directory.person_by_id(resource_id)
                if before is None:
                    raise NotFoundException(detail=f"no user {resource_id[:64]!r}")
                self._check_version(before, expected_version)
                flows.remove(before=before, actor=self.actor, now=now)
                return
            group = directory.group(resource_id)
            if group is None:
                raise NotFoundException(detail=f"no group {resource_id[:64]!r}")
            self._check_version(group, expected_version)
            flows.remove_group(before=group, actor=self.actor, now=now)
        except PreconditionFailed:
            raise PreconditionFailedException from None

    # Helpers -------------------------------------------------------------------------------------

    def _source(self) -> str:
        return f"scim:{self.actor.via.removeprefix('scim client ')}"

    @staticmethod
    def _check_version(stored: Stored, expected: str | None) -> None:
        if expected is not None and expected != f'W/"{stored.rev}"':
            raise PreconditionFailedException

    @staticmethod
    def _group_doc(resource: Resource[Any]) -> dict[str, Any]:
        body = resource.model_dump()
        for key in ("id", "meta", "members"):
            body.pop(key, None)
        return {
            "display_name": str(getattr(resource, "display_name", "") or "")[:500],
            "external_id": str(resource.external_id or "")[:300],
            "scim": body,
        }

    @staticmethod
    def _members(resource: Resource[Any]) -> dict[str, dict[str, Any]]:
        """The group's members as stored (id -> type and display), each checked to exist."""
        wanted: dict[str, dict[str, Any]] = {}
        for member in getattr(resource, "members", None) or []:
            if not member.value:
                raise InvalidValueException(detail="a member needs its value (the member's id)")
            kind = "Group" if str(member.type or "") == "Group" or "/Groups/" in str(member.ref or "") else "User"
            wanted[str(member.value)] = {"type": kind, "display": str(member.display or "")[:200]}
        users = [m for m, d in wanted.items() if d["type"] == "User"]
        known = {str(s.doc["id"]) for s in directory.people_by_ids(users)}
        missing = [m for m in users if m not in known]
        missing += [m for m, d in wanted.items() if d["type"] == "Group" and directory.group(m) is None]
        if missing:
            raise InvalidValueException(detail=f"no such member: {', '.join(missing[:5])}")
        return wanted
