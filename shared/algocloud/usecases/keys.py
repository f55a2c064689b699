"""A tenant's own API keys, managed by its admins through the API (the operator's CLI can too):
a key is made with a role no higher than its maker's and an optional expiry; its value is shown
once; revoking one holds at the next request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ..domain.accounts import ApiKeyRecord
from ..domain.errors import NotFound
from ..domain.identity import Forbidden, Principal, Role
from ..domain.ports import Accounts, KeyGateway
from .operator import IssuedKey, Operator


class TenantKeys:
    def __init__(self, caller: Principal, accounts: Accounts, gateway: KeyGateway):
        self.caller, self.accounts = caller, accounts
        self._operator = Operator(accounts, gateway)

    def create(self, role: Role, expires_in_days: int | None = None) -> IssuedKey:
        if not self.caller.role.includes(role):
            raise Forbidden(f"a key cannot have a higher role than its maker's ({self.caller.role})")
        expires_at = None
        if expires_in_days is not None:
            expires_at = (datetime.now(UTC) + timedelta(days=expires_in_days)).isoformat(timespec="milliseconds")
        return self._operator.issue_key(
            self.caller.tenant, role=role, expires_at=expires_at, created_by=self.caller.subject
        )

    def listing(self) -> list[ApiKeyRecord]:
        return self.accounts.keys_of(self.caller.tenant)

    def revoke(self, key_id: str) -> ApiKeyRecord:
        key = self.accounts.get_key(key_id)
        if key is None or key.tenant_id != self.caller.tenant:  # another tenant's key does not exist here
            raise NotFound(f"no API key '{key_id[:64]}'")
        return self._operator.revoke_key(key_id)
