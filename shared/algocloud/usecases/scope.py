"""What every use case of one tenant works with."""

from __future__ import annotations

from dataclasses import dataclass

from ..domain.config import AppConfig
from ..domain.cursors import Cursors
from ..domain.errors import NotFound
from ..domain.identity import Principal
from ..domain.names import normal_form
from ..domain.ports import Accounts, BlobStore
from ..domain.stores import SessionRecord, Stores


@dataclass(frozen=True)
class TenantScope:
    """The application, the storage ports and the tenant (nothing here queues work: the use
    cases that do take the queue themselves, so the worker can use the rest without one)."""

    config: AppConfig
    stores: Stores
    blobs: BlobStore
    accounts: Accounts
    principal: Principal  # who acts: the caller of a request, or the system on the worker

    @property
    def tenant(self) -> str:
        return self.principal.tenant

    @property
    def cursors(self) -> Cursors:
        return Cursors(self.stores.secrets.secret("page-cursors"))

    def session(self, id_or_name: str) -> SessionRecord:
        """The session named by its id or display name; NotFound otherwise, and for another
        member's private session (it does not exist for the caller)."""
        session = self.stores.sessions.find_session(self.tenant, normal_form(id_or_name))
        if session is None or not self.principal.sees(session.created_by, session.private):
            raise NotFound(f"session '{id_or_name}' not found")
        return session

    def meter(self, day: str, event_id: str, increments: dict[str, float]) -> None:
        """Count a usage event of this tenant (once per event id)."""
        self.accounts.count(self.tenant, day, event_id, increments)
