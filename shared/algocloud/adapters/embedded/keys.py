"""API keys where no gateway checks them (the embedded stack): the API finds a key by its value's
digest (domain.accounts.key_digest) in the accounts, so the gateway's part is only to name it; a
revocation is the account record's, which the API reads on every request."""

from __future__ import annotations

import secrets
from collections.abc import Sequence


class LocalKeys:
    def create_key(self, name: str, value: str) -> str:
        return secrets.token_hex(5)  # 10 characters, like API Gateway's ids

    def disable_key(self, key_id: str) -> None:
        return None  # the account record's revocation is what the API checks

    def requests(self, key_ids: Sequence[str], first_day: str, last_day: str) -> dict[str, int] | None:
        return None  # nothing in front counts requests
