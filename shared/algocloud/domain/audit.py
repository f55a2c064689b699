"""The audit log: who did what, when, from where, and how it ended; tamper-evident as CloudTrail's
log file integrity validation is.

Entries are written one per audited request (every state-changing request, every refused one,
and reads of large data). A **digest** seals a tenant's entries up to a moment: it holds the hash
of each entry it covers (by id, in order), the hash of the digest before it, and a signature
(HMAC-SHA-256 with a deployment secret). Verifying recomputes every entry's hash and walks the
chain: an entry removed or changed after it was sealed, or a digest removed, changed or forged,
is named. Entries not yet sealed are listed as such (a seal runs at every verify and may be
scheduled).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson

from .ids import created_at_of, new_id
from .scenario import now_iso

GENESIS = "0" * 64  # the "previous digest" of a tenant's first digest


@dataclass(frozen=True)
class AuditEntry:
    tenant: str
    actor: str  # the principal's subject: an API key's id, a user's id, "anonymous"
    actor_kind: str
    operation: str  # the operation id (domain.identity.POLICY), or what was refused before one was known
    status: int  # the answer's HTTP status
    ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None
    email: str | None = None
    target: dict[str, str] = field(default_factory=dict)  # the ids the request named (session, scenario, …)
    id: str = field(default_factory=new_id)  # UUIDv7: entries sort by time
    at: str = field(default_factory=now_iso)

    def to_record(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> AuditEntry:
        return cls(**record)

    def digest(self) -> str:
        """The entry's SHA-256 over its canonical JSON (sorted keys): any change changes it."""
        return hashlib.sha256(orjson.dumps(self.to_record(), option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass(frozen=True)
class AuditDigest:
    tenant: str
    sealed_at: str  # covers the tenant's entries with ids up to `last_entry` (sealed in order)
    entries: list[tuple[str, str]]  # (entry id, its hash), in id order
    previous: str  # the hash of the tenant's previous digest (GENESIS for the first)
    signature: str = ""

    @property
    def last_entry(self) -> str | None:
        return self.entries[-1][0] if self.entries else None

    def body(self) -> bytes:
        unsigned = {"tenant": self.tenant, "sealed_at": self.sealed_at, "entries": self.entries,
                    "previous": self.previous}  # fmt: skip
        return orjson.dumps(unsigned, option=orjson.OPT_SORT_KEYS)

    def hash(self) -> str:
        return hashlib.sha256(self.body() + self.signature.encode()).hexdigest()

    def signed(self, key: bytes) -> AuditDigest:
        return AuditDigest(self.tenant, self.sealed_at, self.entries, self.previous, self._sign(key))

    def signature_holds(self, key: bytes) -> bool:
        return hmac.compare_digest(self.signature, self._sign(key))

    def _sign(self, key: bytes) -> str:
        return hmac.new(key, self.body(), hashlib.sha256).hexdigest()

    def to_record(self) -> dict[str, Any]:
        return {**asdict(self), "entries": [list(pair) for pair in self.entries]}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> AuditDigest:
        return cls(record["tenant"], record["sealed_at"], [(i, h) for i, h in record["entries"]],
                   record["previous"], record["signature"])  # fmt: skip


def seal(tenant: str, unsealed: list[AuditEntry], previous: AuditDigest | None, key: bytes) -> AuditDigest | None:
    """The next digest of `tenant`, over its entries written since the last one (None: nothing new)."""
    if not unsealed:
        return None
    entries = [(entry.id, entry.digest()) for entry in sorted(unsealed, key=lambda e: e.id)]
    return AuditDigest(tenant, now_iso(), entries, previous.hash() if previous else GENESIS).signed(key)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    digests: int
    entries: int
    problems: list[str]  # the first problem first: what was removed, changed or forged
    unsealed: int  # entries newer than the last digest (not yet protected)


def verify(digests: list[AuditDigest], entries: list[AuditEntry], key: bytes, expired_before: str = "") -> Verdict:
    """Walk a tenant's digests in order against its stored entries; an entry older than
    `expired_before` (the retention) may be gone, and the chain may start at the oldest digest kept."""
    by_id = {entry.id: entry for entry in entries}
    problems: list[str] = []
    previous = digests[0].previous if digests and _older(digests[0].sealed_at, expired_before) else GENESIS
    sealed: set[str] = set()
    for digest in digests:
        if not digest.signature_holds(key):
            problems.append(f"digest sealed at {digest.sealed_at} is not signed by this deployment")
        if digest.previous != previous:
            problems.append(f"digest sealed at {digest.sealed_at} does not follow the one before it (one removed?)")
        for entry_id, entry_hash in digest.entries:
            sealed.add(entry_id)
            stored = by_id.get(entry_id)
            if stored is None and not _older(created_at_of(entry_id) or "", expired_before):
                problems.append(f"entry {entry_id} (sealed at {digest.sealed_at}) was removed")
            elif stored is not None and stored.digest() != entry_hash:
                problems.append(f"entry {entry_id} ({stored.operation} at {stored.at}) was changed")
        previous = digest.hash()
    last = max(sealed) if sealed else ""
    unsealed = [e for e in entries if e.id not in sealed]
    for entry in unsealed:
        if entry.id < last:  # written before the last seal, yet in no digest: added afterwards
            problems.append(f"entry {entry.id} ({entry.operation} at {entry.at}) was added after its period was sealed")
    late = sum(1 for e in unsealed if e.id > last)
    return Verdict(not problems, len(digests), len(sealed), problems, late)


def _older(moment: str, cutoff: str) -> bool:
    return bool(cutoff) and moment < cutoff
