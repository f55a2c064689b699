"""The audit log on the table (domain.audit), TTL on `expires_at`:

pk                 sk                  item
AUDIT#<tenant>     E#<entry id>        an entry (UUIDv7 ids: in time order)
AUDIT#<tenant>     D#<number>          a digest, numbered from 0 (put only if absent)
"""

from __future__ import annotations

import orjson
from botocore.exceptions import ClientError

from ...domain.audit import AuditDigest, AuditEntry
from ...domain.errors import Conflict
from .table import DynamoTable, _item, _key


class DynamoAudit(DynamoTable):
    def append(self, entry: AuditEntry, expires_at: int) -> None:
        body = orjson.dumps(entry.to_record()).decode()
        item = {**_key(f"AUDIT#{entry.tenant}", f"E#{entry.id}"), **_item(body=body, expires_at=expires_at)}
        self._db.put_item(TableName=self._table, Item=item)

    def entries(
        self, tenant: str, after: str | None = None, limit: int | None = None, newest_first: bool = False
    ) -> list[AuditEntry]:
        found = self._query(
            f"AUDIT#{tenant}", "E#", None if after is None else f"E#{after}", limit, forward=not newest_first
        )
        return [AuditEntry.from_record(orjson.loads(item["body"]["S"])) for item in found]

    def digests(self, tenant: str) -> list[AuditDigest]:
        return [AuditDigest.from_record(orjson.loads(i["body"]["S"])) for i in self._query(f"AUDIT#{tenant}", "D#")]

    def add_digest(self, digest: AuditDigest, number: int, expires_at: int) -> None:
        body = orjson.dumps(digest.to_record()).decode()
        item = {**_key(f"AUDIT#{digest.tenant}", f"D#{number:010d}"), **_item(body=body, expires_at=expires_at)}
        try:
            self._db.put_item(TableName=self._table, Item=item, ConditionExpression="attribute_not_exists(pk)")
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            raise Conflict(f"digest {number} of this tenant exists") from None
