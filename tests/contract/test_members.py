"""The Members port: one contract, both backends (DynamoDB in moto, and SQLite)."""

from __future__ import annotations

import pytest

from algocloud.domain.accounts import ApiKeyRecord, MemberRecord, TenantRecord, key_digest
from algocloud.domain.errors import InvalidRequest, NotFound
from algocloud.domain.identity import Role

ISSUER = "https://issuer.example/pool"


@pytest.fixture
def built(settings):
    from algocloud.adapters.factory import build_adapters

    return build_adapters(settings)


def test_a_person_may_belong_to_several_tenants_once_each(built):
    acme, globex = TenantRecord.new("Acme"), TenantRecord.new("Globex")
    built.accounts.create_tenant(acme)
    built.accounts.create_tenant(globex)
    members = built.members
    members.put_member(MemberRecord(acme.id, ISSUER, "ann", Role.EDITOR, "ann@example.com"))
    members.put_member(MemberRecord(globex.id, ISSUER, "ann", Role.VIEWER))
    members.put_member(MemberRecord(acme.id, ISSUER, "bob", Role.ADMIN))
    members.put_member(MemberRecord(acme.id, "https://other.example", "ann", Role.ADMIN))  # another provider's ann
    assert {(m.tenant_id, m.role) for m in members.memberships(ISSUER, "ann")} == {
        (acme.id, Role.EDITOR),
        (globex.id, Role.VIEWER),
    }
    members.put_member(MemberRecord(acme.id, ISSUER, "ann", Role.RUNNER, "ann@example.com"))  # a new role
    [ann_at_acme] = [m for m in members.memberships(ISSUER, "ann") if m.tenant_id == acme.id]
    assert ann_at_acme.role == Role.RUNNER and ann_at_acme.email == "ann@example.com"
    assert [(m.issuer, m.subject) for m in members.members_of(acme.id)] == [
        (ISSUER, "ann"),
        (ISSUER, "bob"),
        ("https://other.example", "ann"),
    ]
    assert members.remove_member(acme.id, ISSUER, "ann") is True
    assert members.remove_member(acme.id, ISSUER, "ann") is False
    assert [m.tenant_id for m in members.memberships(ISSUER, "ann")] == [globex.id]
    assert members.memberships(ISSUER, "nobody") == []


def test_a_member_needs_a_tenant_an_issuer_and_a_subject(built):
    with pytest.raises(NotFound):
        built.members.put_member(MemberRecord("t-0000000000000000", ISSUER, "ann", Role.VIEWER))
    with pytest.raises(InvalidRequest):
        MemberRecord("t-0000000000000000", "", "ann", Role.VIEWER)
    with pytest.raises(InvalidRequest):
        MemberRecord("t-0000000000000000", ISSUER, "x" * 256, Role.VIEWER)


def test_a_key_is_found_by_its_values_digest(built):
    acme = TenantRecord.new("Acme")
    built.accounts.create_tenant(acme)
    built.accounts.add_key(ApiKeyRecord("keydigest1", acme.id, role=Role.RUNNER, value_digest=key_digest("v" * 40)))
    found = built.accounts.key_by_digest(key_digest("v" * 40))
    assert found is not None and (found.key_id, found.role) == ("keydigest1", Role.RUNNER)
    assert built.accounts.key_by_digest(key_digest("w" * 40)) is None
