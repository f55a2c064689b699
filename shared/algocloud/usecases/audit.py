"""The audit log's use cases: record an entry, seal what was recorded into the tenant's digest
chain, verify the chain, and read entries (newest first, filtered, a page at a time)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .. import limits
from ..domain.audit import AuditDigest, AuditEntry, Verdict, seal, verify
from ..domain.cursors import Cursors
from ..domain.errors import Conflict
from ..domain.ports import AuditLog
from ..domain.scenario import now_iso
from ..domain.stores import Secrets

AUDIT_KEY = "audit-digests"  # the deployment secret that signs digests (domain.stores.Secrets)


@dataclass(frozen=True)
class AuditQuery:
    actor: str | None = None
    operation: str | None = None
    target: str | None = None  # an id the request named (a session's, a scenario's, …)
    since: str | None = None  # ISO 8601: entries at or after it

    def matches(self, entry: AuditEntry) -> bool:
        return (
            (self.actor is None or self.actor in (entry.actor, entry.email))
            and (self.operation is None or entry.operation == self.operation)
            and (self.target is None or self.target in entry.target.values())
        )


class Auditing:
    def __init__(self, log: AuditLog, key: bytes, retention_days: int = limits.AUDIT_RETENTION_DAYS):
        self.log, self.key, self.retention_days = log, key, retention_days

    @classmethod
    def of_deployment(
        cls, log: AuditLog | None, secrets: Secrets, retention_days: int = limits.AUDIT_RETENTION_DAYS
    ) -> Auditing | None:
        """The deployment's audit log, signed with its AUDIT_KEY (None for a deployment without one)."""
        return None if log is None else cls(log, secrets.secret(AUDIT_KEY), retention_days)

    def _expires_at(self) -> int:
        # digests outlive the entries they seal by a day, so a verify sees why an old entry is gone
        return int(time.time()) + (self.retention_days + 1) * 86400

    def record(self, entry: AuditEntry) -> None:
        self.log.append(entry, self._expires_at())

    def seal(self, tenant: str, margin_seconds: float = limits.AUDIT_SEAL_MARGIN_SECONDS) -> AuditDigest | None:
        """Seal the tenant's entries older than `margin_seconds` not sealed yet (a request still
        being answered may write one that sorts before them). None when there was nothing, or
        when another seal won the race (its digest covers them)."""
        digests = self.log.digests(tenant)
        last = digests[-1] if digests else None
        cutoff = (datetime.now(UTC) - timedelta(seconds=margin_seconds)).isoformat(timespec="milliseconds")
        unsealed = [e for e in self.log.entries(tenant, after=last.last_entry if last else None) if e.at <= cutoff]
        digest = seal(tenant, unsealed, last, self.key)
        if digest is None:
            return None
        try:
            self.log.add_digest(digest, len(digests), self._expires_at())
        except Conflict:
            return None
        return digest

    def verify(self, tenant: str, margin_seconds: float = limits.AUDIT_SEAL_MARGIN_SECONDS) -> Verdict:
        """Seal what is due, then check every digest and entry of the tenant (domain.audit.verify)."""
        self.seal(tenant, margin_seconds)
        expired = (datetime.now(UTC) - timedelta(days=self.retention_days)).isoformat(timespec="milliseconds")
        return verify(self.log.digests(tenant), self.log.entries(tenant), self.key, expired_before=expired)

    def page(
        self, tenant: str, query: AuditQuery, limit: int, cursor: str | None, cursors: Cursors
    ) -> tuple[list[AuditEntry], str | None]:
        """Newest first, `limit` entries that match, reading at most AUDIT_SCAN_ENTRIES per page
        (a quarter of them at a time when filtering), so a rare filter answers a short page and a
        cursor to go on."""
        after = None if cursor is None else cursors.decode("audit", cursor)[1]
        found: list[AuditEntry] = []
        scanned = 0
        filtering = any((query.actor, query.operation, query.target))
        size = max(limit, limits.AUDIT_SCAN_ENTRIES // 4) if filtering else limit
        while scanned < limits.AUDIT_SCAN_ENTRIES:
            batch = self.log.entries(tenant, after=after, limit=size, newest_first=True)
            scanned += len(batch)
            for index, entry in enumerate(batch):
                if query.since is not None and entry.at < query.since:
                    return found, None  # newest first: the rest are older still
                after = entry.id
                if query.matches(entry):
                    found.append(entry)
                    if len(found) == limit:
                        more = index + 1 < len(batch) or len(batch) == size
                        return found, cursors.encode("audit", (now_iso(), after)) if more else None
            if len(batch) < size:
                return found, None
        return found, None if after is None else cursors.encode("audit", (now_iso(), after))
