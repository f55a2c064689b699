"""A tenant's sessions, and its bootstrap (the default session with the seed data)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from .. import storage_layout as layout
from ..domain.errors import Conflict, NotFound
from ..domain.ids import new_id
from ..domain.names import clean_name
from ..domain.stores import Position, SessionRecord
from .datasets import Datasets
from .paging import read_page
from .scope import TenantScope

DEFAULT_SESSION_NAME = "main"

_bootstrapped: set[tuple[int, str]] = set()  # (stores, tenant) seen bootstrapped in this container
_bootstrap_lock = threading.Lock()


@dataclass(frozen=True)
class SessionList:
    """The reference's list (or a page of it), with the default session: the oldest."""

    sessions: list[SessionRecord]
    default: str | None
    next_cursor: str | None = None


class Sessions:
    def __init__(self, scope: TenantScope):
        self.scope = scope
        self.tenant, self.stores, self.blobs = scope.tenant, scope.stores, scope.blobs

    # -- the tenant's first request ---------------------------------------------------------
    def is_bootstrapped(self) -> bool:
        """Whether this container has seen the tenant bootstrapped (no I/O)."""
        return (id(self.stores), self.tenant) in _bootstrapped

    def ensure_tenant(self) -> None:
        """First request of a tenant: create its default session with the seed data.

        Idempotent when cold starts race: the marker is written in the same
        transaction as the session, conditionally, so only one wins.
        """
        cache_key = (id(self.stores), self.tenant)
        if cache_key in _bootstrapped:
            return
        with _bootstrap_lock:
            if cache_key not in _bootstrapped and not self.stores.sessions.tenant_exists(self.tenant):
                self._create_default_session(mark_tenant=True)
            _bootstrapped.add(cache_key)

    def _create_default_session(self, mark_tenant: bool) -> None:
        session = SessionRecord(new_id(), DEFAULT_SESSION_NAME)
        records = Datasets(self.scope).seed_records(session.id)
        try:
            created = self.stores.sessions.create_session(self.tenant, session, records, mark_tenant=mark_tenant)
        except Conflict:
            created = False  # someone else made it meanwhile: theirs stands
        if not created:
            self.blobs.delete_prefix(layout.session_prefix(self.tenant, session.id))

    # -- sessions ---------------------------------------------------------------------------
    def listing(self, limit: int | None = None, cursor: str | None = None) -> SessionList:
        page, following = read_page(
            self._visible, lambda s: (s.created_at, s.id), limit, cursor, self.scope.cursors, f"{self.tenant}/sessions"
        )
        if cursor is None:
            default = page[0].id if page else None
        else:  # a later page: the oldest session is one more read (of one item, unless private ones come first)
            oldest = self._visible(None, 1)
            default = oldest[0].id if oldest else None
        return SessionList(page, default, following)

    def _visible(self, after: Position | None, limit: int | None) -> list[SessionRecord]:
        """Up to `limit` sessions after `after` that the caller may see: other members' private
        sessions are read past (a page of them costs one more read), never shown."""
        sees = self.scope.principal.sees
        if limit is None:
            listed = self.stores.sessions.list_sessions(self.tenant, after, None)
            return [s for s in listed if sees(s.created_by, s.private)]
        found: list[SessionRecord] = []
        while True:
            batch = self.stores.sessions.list_sessions(self.tenant, after, limit)
            found += [s for s in batch if sees(s.created_by, s.private)]
            if len(found) >= limit or len(batch) < limit:
                return found[:limit]
            after = (batch[-1].created_at, batch[-1].id)

    def create(self, display_name: str, private: bool = False) -> SessionList:
        display_name = clean_name(display_name, "a session name", "display_name")
        made = SessionRecord(new_id(), display_name, created_by=self.scope.principal.actor, private=private)
        self.stores.sessions.create_session(self.tenant, made)
        return self.listing()

    def rename(self, id_or_name: str, display_name: str) -> SessionRecord:
        display_name = clean_name(display_name, "a session name", "display_name")
        return self.stores.sessions.rename_session(self.tenant, self.scope.session(id_or_name), display_name)

    def copy(self, id_or_name: str, new_display_name: str) -> SessionList:
        """Copy everything under a new session, made visible in one final transaction."""
        source = self.scope.session(id_or_name)
        new_display_name = clean_name(new_display_name, "a session name", "new_display_name")
        if self.stores.sessions.find_session(self.tenant, new_display_name) is not None:
            raise Conflict(f"a session named '{new_display_name}' already exists")
        target = SessionRecord(
            new_id(), new_display_name, created_by=self.scope.principal.actor, private=source.private
        )
        source_prefix = layout.session_prefix(self.tenant, source.id)
        target_prefix = layout.session_prefix(self.tenant, target.id)

        def copy_object(key: str) -> str:
            new_key = target_prefix + key.removeprefix(source_prefix)
            self.blobs.copy(key, new_key)
            return new_key

        try:
            self.stores.sessions.copy_session_contents(self.tenant, source.id, target.id, copy_object)
            self.stores.sessions.create_session(self.tenant, target)
        except BaseException:
            self.stores.sessions.purge_session(self.tenant, target.id)
            self.blobs.delete_prefix(target_prefix)
            if self.stores.sessions.find_session(self.tenant, source.id) is None:  # deleted while we copied
                raise NotFound(f"session '{id_or_name}' was deleted while it was being copied") from None
            raise
        return self.listing()

    def delete(self, id_or_name: str) -> SessionList:
        session = self.scope.session(id_or_name)
        self.stores.sessions.delete_session(self.tenant, session)
        self.stores.sessions.purge_session(self.tenant, session.id)
        self.blobs.delete_prefix(layout.session_prefix(self.tenant, session.id))
        if not self.stores.sessions.list_sessions(self.tenant, limit=1):
            self._create_default_session(mark_tenant=False)
        return self.listing()
