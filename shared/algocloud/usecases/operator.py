"""What an operator does for paying consumers: tenants, their API keys, their usage.

A key is created in API Gateway (in the deployment's usage plan, so its
throttle and quota apply) and registered to its tenant in the table; its value
is shown once and stored nowhere of ours. Rotating issues a new key for the
same tenant and revokes the old one, so the tenant's data stays where it is.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from .. import limits
from ..domain.accounts import ApiKeyRecord, MemberRecord, TenantRecord, UsageReport, key_digest
from ..domain.errors import InvalidRequest, NotFound
from ..domain.identity import Role
from ..domain.ports import Accounts, KeyGateway, Members
from ..domain.scenario import now_iso
from .usage import usage_report


@dataclass(frozen=True)
class IssuedKey:
    record: ApiKeyRecord
    value: str  # shown once


@dataclass
class Operator:
    accounts: Accounts
    keys: KeyGateway
    members: Members | None = None

    def create_tenant(self, name: str) -> TenantRecord:
        tenant = TenantRecord.new(name)
        self.accounts.create_tenant(tenant)
        return tenant

    def tenant(self, id_or_name: str) -> TenantRecord:
        found = self.accounts.find_tenant(id_or_name)
        if found is None:
            raise NotFound(f"no tenant '{id_or_name}'")
        return found

    def limit_parallel_runs(self, tenant_id_or_name: str, runs: int | None) -> TenantRecord:
        """The tenant's experiment runs in flight at once (None: the deployment's EXPERIMENT_CONCURRENCY)."""
        if runs is not None and not 1 <= runs <= limits.MAX_PARALLEL_RUNS:
            raise InvalidRequest(f"parallel runs must be 1 to {limits.MAX_PARALLEL_RUNS}")
        return self.accounts.set_max_parallel_runs(self.tenant(tenant_id_or_name).id, runs)

    def issue_key(
        self,
        tenant_id_or_name: str,
        value: str | None = None,
        role: Role = Role.ADMIN,
        expires_at: str | None = None,
        created_by: str | None = None,
    ) -> IssuedKey:
        tenant = self.tenant(tenant_id_or_name)
        value = value or secrets.token_urlsafe(30)  # 40 characters (API Gateway wants at least 20)
        key_id = self.keys.create_key(f"{tenant.name} {now_iso()}", value)
        record = ApiKeyRecord(
            key_id=key_id, tenant_id=tenant.id, role=role, expires_at=expires_at, created_by=created_by,
            value_digest=key_digest(value),
        )  # fmt: skip
        try:
            self.accounts.add_key(record)
        except BaseException:
            self.keys.disable_key(key_id)  # a key of no tenant must not stay usable
            raise
        return IssuedKey(record, value)

    def revoke_key(self, key_id: str) -> ApiKeyRecord:
        if self.accounts.get_key(key_id) is None:
            raise NotFound(f"no API key '{key_id}'")
        self.keys.disable_key(key_id)
        return self.accounts.revoke_key(key_id, now_iso())

    def rotate_key(self, key_id: str) -> tuple[IssuedKey, ApiKeyRecord]:
        """A new key for the old key's tenant, then the old one revoked: (new, old)."""
        old = self.accounts.get_key(key_id)
        if old is None:
            raise NotFound(f"no API key '{key_id}'")
        issued = self.issue_key(old.tenant_id, role=old.role)
        return issued, self.revoke_key(key_id)

    def add_member(
        self, tenant_id_or_name: str, issuer: str, subject: str, role: Role, email: str | None = None
    ) -> MemberRecord:
        """A person (their provider's issuer and subject) joins the tenant with `role`; again: a new role."""
        member = MemberRecord(self.tenant(tenant_id_or_name).id, issuer, subject, role, email)
        self._members().put_member(member)
        return member

    def remove_member(self, tenant_id_or_name: str, issuer: str, subject: str) -> None:
        """From their next request on, they are no member of the tenant."""
        if not self._members().remove_member(self.tenant(tenant_id_or_name).id, issuer, subject):
            raise NotFound(f"'{subject}' is no member of '{tenant_id_or_name}'")

    def members_of(self, tenant_id_or_name: str) -> list[MemberRecord]:
        return self._members().members_of(self.tenant(tenant_id_or_name).id)

    def _members(self) -> Members:
        if self.members is None:
            raise InvalidRequest("this deployment keeps no members")
        return self.members

    def report(self, first_day: str | None = None, last_day: str | None = None) -> dict[str, UsageReport]:
        """Every tenant's usage over the days, by tenant name (see usecases.usage.usage_report)."""
        return {
            tenant.name: usage_report(self.accounts, self.keys, tenant.id, first_day, last_day)
            for tenant in self.accounts.list_tenants()
        }
