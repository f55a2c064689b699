"""Who is calling: the principal of a request, its role in its tenant, and the one policy that
says which role each operation needs.

Every HTTP operation (by its OpenAPI operation id) and every action of the events WebSocket has
an entry in POLICY; an operation without one is refused (and a test enumerates the OpenAPI
document, so a new endpoint cannot ship without one). No router or use case decides on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .errors import DomainError


class Role(StrEnum):
    """Each role may do what the one before it may, and more."""

    VIEWER = "viewer"  # read everything shared in the tenant
    RUNNER = "runner"  # and create, run, reset and cancel scenarios and experiments
    EDITOR = "editor"  # and sessions, datasets, uploads, ETL, deletes
    ADMIN = "admin"  # and API keys, webhooks, usage

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def includes(self, other: Role) -> bool:
        return self.rank >= other.rank


_RANKS = {role: rank for rank, role in enumerate(Role)}


class PrincipalKind(StrEnum):
    USER = "user"  # a person, signed in with an OpenID Connect provider
    KEY = "key"  # a server, with an API key
    ANONYMOUS = "anonymous"  # a deployment that asks for no credentials (the local stacks' default)
    SYSTEM = "system"  # the product itself: the worker, the container tier, the reconciler


@dataclass(frozen=True)
class Principal:
    tenant: str
    subject: str  # a user's stable id, an API key's id, "anonymous" or "system"
    kind: PrincipalKind
    role: Role
    ip: str | None = None
    email: str | None = None
    issuer: str | None = None  # a user's OpenID Connect provider

    @property
    def actor(self) -> str:
        """Who this is in the records it makes (`created_by`): its holder, or `anonymous`/`system`."""
        return self.holder or self.subject

    def sees(self, created_by: str | None, private: bool) -> bool:
        """Whether a record made by `created_by`, private or not, is visible to this principal."""
        return not private or self.role == Role.ADMIN or created_by == self.actor

    @property
    def holder(self) -> str:
        """Who this is, durably, for what outlives the request (an events token, a connection):
        `key:<id>`, `user:<issuer> <subject>`; empty for the anonymous and the system."""
        if self.kind == PrincipalKind.KEY:
            return f"key:{self.subject}"
        if self.kind == PrincipalKind.USER:
            return f"user:{self.issuer} {self.subject}"
        return ""

    @classmethod
    def anonymous(cls, tenant: str, ip: str | None = None) -> Principal:
        """A caller of a deployment without sign-in: every right in its one tenant, as the
        reference contract has it."""
        return cls(tenant, "anonymous", PrincipalKind.ANONYMOUS, Role.ADMIN, ip)

    @classmethod
    def system(cls, tenant: str) -> Principal:
        """The product acting on its own (a run's worker), for `tenant`."""
        return cls(tenant, "system", PrincipalKind.SYSTEM, Role.ADMIN)

    def allowed(self) -> list[str]:
        """Every operation this principal's role may do."""
        return sorted(operation for operation, role in POLICY.items() if self.role.includes(role))


class Forbidden(DomainError):
    """The caller's role does not allow the operation (403); nothing was changed."""


# The least role each operation needs.
POLICY: dict[str, Role] = {
    # health (it lists the tenant's session names) and who is calling
    "health": Role.VIEWER,
    "root_health": Role.VIEWER,
    "me": Role.VIEWER,
    # catalogue and reads
    "algorithms": Role.VIEWER,
    "algorithm_parameters": Role.VIEWER,
    "kpis": Role.VIEWER,
    "list_sessions": Role.VIEWER,
    "list_scenarios": Role.VIEWER,
    "get_scenario": Role.VIEWER,
    "scenario_status": Role.VIEWER,
    "processing": Role.VIEWER,
    "compare_scenarios": Role.VIEWER,
    "list_data": Role.VIEWER,
    "get_data": Role.VIEWER,
    "data_parameters": Role.VIEWER,
    "dataset_tables": Role.VIEWER,
    "dataset_rows": Role.VIEWER,
    "ingestion_job": Role.VIEWER,
    "upload_status": Role.VIEWER,
    "list_experiments": Role.VIEWER,
    "get_experiment": Role.VIEWER,
    "events_token": Role.VIEWER,
    # running
    "create_scenario": Role.RUNNER,
    "run_scenario": Role.RUNNER,
    "reset_scenario": Role.RUNNER,
    "cancel_scenario": Role.RUNNER,
    "create_experiment": Role.RUNNER,
    "cancel_experiment": Role.RUNNER,
    # editing: sessions, data, deletes
    "create_session": Role.EDITOR,
    "copy_session": Role.EDITOR,
    "rename_session": Role.EDITOR,
    "delete_session": Role.EDITOR,
    "delete_scenario": Role.EDITOR,
    "delete_experiment": Role.EDITOR,
    "derive_data": Role.EDITOR,
    "delete_data": Role.EDITOR,
    "import_json": Role.EDITOR,
    "etl": Role.EDITOR,
    "create_upload": Role.EDITOR,
    "complete_upload": Role.EDITOR,
    "abort_upload": Role.EDITOR,
    # administering the tenant
    "usage": Role.ADMIN,
    "add_webhook": Role.ADMIN,
    "list_webhooks": Role.ADMIN,
    "get_webhook": Role.ADMIN,
    "remove_webhook": Role.ADMIN,
    "rotate_webhook": Role.ADMIN,
    "enable_webhook": Role.ADMIN,
    "webhook_deliveries": Role.ADMIN,
    "audit_log": Role.ADMIN,
    "create_key": Role.ADMIN,
    "list_keys": Role.ADMIN,
    "revoke_key": Role.ADMIN,
    # the events WebSocket's actions
    "ws:connect": Role.VIEWER,
    "ws:subscribe": Role.VIEWER,
    "ws:unsubscribe": Role.VIEWER,
    "ws:ping": Role.VIEWER,
}


def authorize(principal: Principal, operation: str) -> None:
    """Forbidden unless the principal's role may do `operation` (an operation without a policy
    entry is refused to everyone: nothing ships unguarded)."""
    if operation not in POLICY:
        raise Forbidden(f"'{operation}' has no access policy; it is refused")
    needed = POLICY[operation]
    if not principal.role.includes(needed):
        raise Forbidden(f"'{operation}' needs the {needed} role; this {principal.kind} has {principal.role}")
