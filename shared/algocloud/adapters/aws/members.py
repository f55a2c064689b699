"""Tenant members in the table (domain.accounts.MemberRecord):

    pk                              sk                              item
    MEMBER#<issuer> <subject>       TENANTS                         the person: per tenant t, r_t (role),
                                                                    e_t (email), c_t / b_t (added at / by)
    ACCOUNT#<tenant id>             MEMBER#<issuer> <subject>       a member, for the tenant's listing

A person's memberships are one item, so the read on every signed-in request is one GetItem (a
Query would do as well on DynamoDB, but moto's scans the whole table). Both items are written and
removed in one transaction (the tenant must exist), so the two views never disagree. An issuer is
a URL and never holds a space, so `<issuer> <subject>` is unambiguous; a tenant id is `t-` and hex.
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
        t = _attribute_suffix(member.tenant_id)
        # updates, so a new role keeps when (and by whom) they were first added
        listing = _item(tenant_id=member.tenant_id, issuer=member.issuer, subject=member.subject,
                        role=str(member.role), email=member.email, created_at=member.created_at,
                        created_by=member.created_by)  # fmt: skip
        on_person = _item(issuer=member.issuer, subject=member.subject, **{
            f"r_{t}": str(member.role), f"e_{t}": member.email, f"c_{t}": member.created_at,
            f"b_{t}": member.created_by})  # fmt: skip
        try:
            self._transact(
                [
                    self._check(ACCOUNTS, f"TENANT#{member.tenant_id}"),
                    self._update(f"MEMBER#{person}", "TENANTS", on_person, {f"c_{t}", f"b_{t}"}, f"e_{t}"),
                    self._update(
                        f"ACCOUNT#{member.tenant_id}",
                        f"MEMBER#{person}",
                        listing,
                        {"created_at", "created_by"},
                        "email",
                    ),
                ]
            )
        except _Cancelled:
            raise NotFound(f"tenant '{member.tenant_id}' not found") from None

    def _update(self, pk: str, sk: str, values: dict[str, Any], kept: set[str], optional: str) -> dict[str, Any]:
        """SET `values` (those in `kept` only where missing); REMOVE `optional` when it has none."""
        names = {f"#a{i}": name for i, name in enumerate(values)}
        assignments = [
            f"{alias} = if_not_exists({alias}, :v{i})" if name in kept else f"{alias} = :v{i}"
            for i, (alias, name) in enumerate(names.items())
        ]
        expression = "SET " + ", ".join(assignments)
        if optional not in values:
            names["#gone"] = optional
            expression += " REMOVE #gone"
        return {
            "Update": {
                "TableName": self._table,
                "Key": _key(pk, sk),
                "UpdateExpression": expression,
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": {f":v{i}": v for i, v in enumerate(values.values())},
            }
        }

    def memberships(self, issuer: str, subject: str) -> list[MemberRecord]:
        item = self._get(f"MEMBER#{_person(issuer, subject)}", "TENANTS")
        if item is None:
            return []
        plain = _plain_item(item)
        found = []
        for name, role in plain.items():
            if name.startswith("r_"):
                t = name.removeprefix("r_")
                found.append(MemberRecord(_tenant_of(t), issuer, subject, Role(role), plain.get(f"e_{t}"),
                                          plain[f"c_{t}"], plain.get(f"b_{t}")))  # fmt: skip
        return sorted(found, key=lambda m: m.tenant_id)

    def members_of(self, tenant_id: str) -> list[MemberRecord]:
        members = (_member_from(item) for item in self._query(f"ACCOUNT#{tenant_id}", "MEMBER#"))
        return sorted(members, key=lambda m: (m.created_at, m.issuer, m.subject))

    def remove_member(self, tenant_id: str, issuer: str, subject: str) -> bool:
        person = _person(issuer, subject)
        t = _attribute_suffix(tenant_id)
        names = {f"#{p}": f"{p}_{t}" for p in "recb"}
        try:
            self._transact(
                [
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": _key(f"MEMBER#{person}", "TENANTS"),
                            "UpdateExpression": "REMOVE " + ", ".join(names),
                            "ConditionExpression": "attribute_exists(#r)",
                            "ExpressionAttributeNames": names,
                        }
                    },
                    self._delete(f"ACCOUNT#{tenant_id}", f"MEMBER#{person}"),
                ]
            )
        except _Cancelled:
            return False
        return True


def _attribute_suffix(tenant_id: str) -> str:
    """A tenant id as part of an attribute name (`t-0123…` -> `t_0123…`)."""
    return checked_tenant_id(tenant_id).replace("-", "_")


def _tenant_of(suffix: str) -> str:
    return suffix.replace("_", "-")
