"""Tenant members in the table (domain.accounts.MemberRecord):

    pk                              sk                              item
    MEMBER#<issuer> <subject>       TENANT#<tenant id>              a person's membership (read per request)
    ACCOUNT#<tenant id>             MEMBER#<issuer> <subject>       the same, for the tenant's listing

Both items are written and removed in one transaction (the tenant must exist), so the two views
never disagree. An issuer is a URL and never holds a space, so `<issuer> <subject>` is unambiguous.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...domain.accounts import MemberRecord, checked_tenant_id
from ...domain.errors import NotFound
from ...domain.identity import Role
from .accounts import ACCOUNTS
from .table import DynamoTable, _Cancelled, _item, _key, _plain_item


def _person(issuer: str, subject: str) -> str:
    return f"{issuer} {subject}"


def _member_from(item: Mapping[str, Any]) -> MemberRecord:
    plain = _plain_item(item)
    return MemberRecord(
        tenant_id=plain["tenant_id"],
        issuer=plain["issuer"],
        subject=plain["subject"],
        role=Role(plain["role"]),
        email=plain.get("email"),
        created_at=plain["created_at"],
        created_by=plain.get("created_by"),
    )


class DynamoMembers(DynamoTable):
    def put_member(self, member: MemberRecord) -> None:
        checked_tenant_id(member.tenant_id)
        person = _person(member.issuer, member.subject)
        # an update, so a new role keeps when (and by whom) they were first added
        values = _item(tenant_id=member.tenant_id, issuer=member.issuer, subject=member.subject,
                       role=str(member.role), email=member.email, created_at=member.created_at,
                       created_by=member.created_by)  # fmt: skip
        kept = {"created_at", "created_by"}
        assignments = [f"#{n} = if_not_exists(#{n}, :{n})" if n in kept else f"#{n} = :{n}" for n in values]
        update: dict[str, Any] = {
            "UpdateExpression": "SET " + ", ".join(assignments),
            "ExpressionAttributeNames": {f"#{n}": n for n in values},
            "ExpressionAttributeValues": {f":{n}": v for n, v in values.items()},
        }
        removed = "email" if member.email is None else None
        if removed:
            update["UpdateExpression"] += " REMOVE #email"
            update["ExpressionAttributeNames"]["#email"] = "email"
        try:
            self._transact(
                [
                    self._check(ACCOUNTS, f"TENANT#{member.tenant_id}"),
                    *(
                        {"Update": {"TableName": self._table, "Key": _key(pk, sk), **update}}
                        for pk, sk in (
                            (f"MEMBER#{person}", f"TENANT#{member.tenant_id}"),
                            (f"ACCOUNT#{member.tenant_id}", f"MEMBER#{person}"),
                        )
                    ),
                ]
            )
        except _Cancelled:
            raise NotFound(f"tenant '{member.tenant_id}' not found") from None

    def memberships(self, issuer: str, subject: str) -> list[MemberRecord]:
        return [_member_from(item) for item in self._query(f"MEMBER#{_person(issuer, subject)}", "TENANT#")]

    def members_of(self, tenant_id: str) -> list[MemberRecord]:
        members = (_member_from(item) for item in self._query(f"ACCOUNT#{tenant_id}", "MEMBER#"))
        return sorted(members, key=lambda m: (m.created_at, m.issuer, m.subject))

    def remove_member(self, tenant_id: str, issuer: str, subject: str) -> bool:
        person = _person(issuer, subject)
        try:
            self._transact(
                [
                    self._delete(f"MEMBER#{person}", f"TENANT#{tenant_id}", "attribute_exists(pk)"),
                    self._delete(f"ACCOUNT#{tenant_id}", f"MEMBER#{person}"),
                ]
            )
        except _Cancelled:
            return False
        return True
