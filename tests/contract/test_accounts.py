"""The Accounts port: one contract, both backends (DynamoDB in moto, and SQLite)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from algocloud.domain.accounts import COMPUTE_SECONDS, RUNS_COMPLETED, RUNS_STARTED, ApiKeyRecord, TenantRecord
from algocloud.domain.errors import Conflict, InvalidRequest, NotFound


@pytest.fixture
def accounts(settings):
    from algocloud.adapters.factory import build_adapters

    return build_adapters(settings).accounts


def test_tenants_have_unique_names_and_are_found_by_id_or_name(accounts):
    acme = TenantRecord.new("Acme")
    accounts.create_tenant(acme)
    with pytest.raises(Conflict):
        accounts.create_tenant(TenantRecord.new("Acme"))
    assert accounts.get_tenant(acme.id) == acme == accounts.find_tenant("Acme") == accounts.find_tenant(acme.id)
    assert accounts.find_tenant("nobody") is None and accounts.get_tenant("t-0000000000000000") is None
    globex = TenantRecord.new("Globex")
    accounts.create_tenant(globex)
    assert [t.name for t in accounts.list_tenants()] == ["Acme", "Globex"]
    with pytest.raises(InvalidRequest):
        TenantRecord.new("   ")


def test_a_tenant_may_have_its_own_limit_of_parallel_runs(accounts):
    acme = TenantRecord.new("Acme")
    accounts.create_tenant(acme)
    assert accounts.get_tenant(acme.id).max_parallel_runs is None  # the deployment's
    assert accounts.set_max_parallel_runs(acme.id, 2).max_parallel_runs == 2
    assert accounts.find_tenant("Acme").max_parallel_runs == 2 == accounts.list_tenants()[0].max_parallel_runs
    assert accounts.set_max_parallel_runs(acme.id, None).max_parallel_runs is None
    with pytest.raises(NotFound):
        accounts.set_max_parallel_runs("t-0000000000000000", 3)


def test_concurrent_creates_of_one_name_have_one_winner(accounts):
    def create(_: int) -> bool:
        try:
            accounts.create_tenant(TenantRecord.new("Same"))
            return True
        except Conflict:
            return False

    with ThreadPoolExecutor(8) as pool:
        assert sorted(pool.map(create, range(8))) == [False] * 7 + [True]


def test_keys_map_to_their_tenant_and_revoke(accounts):
    acme = TenantRecord.new("Acme")
    accounts.create_tenant(acme)
    accounts.add_key(ApiKeyRecord("key1abc", acme.id, "2026-01-01T00:00:00+00:00"))
    accounts.add_key(ApiKeyRecord("key2abc", acme.id, "2026-01-02T00:00:00+00:00"))
    with pytest.raises(Conflict):
        accounts.add_key(ApiKeyRecord("key1abc", acme.id))
    with pytest.raises(NotFound):
        accounts.add_key(ApiKeyRecord("key3abc", "t-0000000000000000"))
    assert accounts.get_key("key1abc").tenant_id == acme.id and accounts.get_key("nokey") is None
    revoked = accounts.revoke_key("key1abc", "2026-02-01T00:00:00+00:00")
    assert not revoked.active and not accounts.get_key("key1abc").active
    assert accounts.revoke_key("key1abc", "2026-03-01T00:00:00+00:00").revoked_at == "2026-02-01T00:00:00+00:00"
    assert [(k.key_id, k.active) for k in accounts.keys_of(acme.id)] == [("key1abc", False), ("key2abc", True)]
    with pytest.raises(NotFound):
        accounts.revoke_key("nokey", "2026-02-01T00:00:00+00:00")
    for unsafe in ("a#b", "../x", "", "k" * 65):
        with pytest.raises(InvalidRequest):
            accounts.add_key(ApiKeyRecord(unsafe, acme.id))


def test_each_event_counts_once_even_when_counted_concurrently(accounts):
    def count(index: int) -> bool:
        return accounts.count(
            "t-0000000000000001", "2026-05-01", f"finished:{index % 10}", {RUNS_COMPLETED: 1, COMPUTE_SECONDS: 0.5}
        )

    with ThreadPoolExecutor(8) as pool:
        assert sum(pool.map(count, range(40))) == 10
    accounts.count("t-0000000000000001", "2026-05-02", "started:x", {RUNS_STARTED: 1})
    accounts.count("t-0000000000000002", "2026-05-01", "started:x", {RUNS_STARTED: 1})  # another tenant's
    days = accounts.usage("t-0000000000000001", "2026-05-01", "2026-05-31")
    assert [d.day for d in days] == ["2026-05-01", "2026-05-02"]
    assert days[0].counters[RUNS_COMPLETED] == 10 and days[0].counters[COMPUTE_SECONDS] == pytest.approx(5.0)
    assert days[1].counters[RUNS_STARTED] == 1
    assert accounts.usage("t-0000000000000001", "2026-05-02", "2026-05-02")[0].day == "2026-05-02"


def test_a_key_keeps_its_role_and_one_stored_without_one_is_an_admin(accounts, backend_name, settings):
    from algocloud.domain.identity import Role

    acme = TenantRecord.new("Acme")
    accounts.create_tenant(acme)
    accounts.add_key(ApiKeyRecord("viewer1", acme.id, role=Role.VIEWER))
    assert accounts.get_key("viewer1").role == Role.VIEWER
    assert accounts.revoke_key("viewer1", "2026-02-01T00:00:00+00:00").role == Role.VIEWER
    assert [k.role for k in accounts.keys_of(acme.id)] == [Role.VIEWER]
    # a key stored before keys had roles
    if backend_name == "embedded":
        with accounts._db.write() as db:
            db.execute("INSERT INTO api_keys (key_id, tenant_id, created_at) VALUES ('old1', ?, 'x')", (acme.id,))
    else:
        import boto3

        boto3.client("dynamodb", region_name="us-east-1").put_item(
            TableName=settings.table_name,
            Item={"pk": {"S": "APIKEY#old1"}, "sk": {"S": "KEY"}, "key_id": {"S": "old1"},
                  "tenant_id": {"S": acme.id}, "created_at": {"S": "x"}},
        )  # fmt: skip
    assert accounts.get_key("old1").role == Role.ADMIN
