"""Page cursors: opaque to clients, refused unless this deployment gave them out for this list.

A cursor is the position after a page's last item (its sort key), followed by a
MAC over that position and the list it belongs to (the tenant, and the session
for a session's scenarios). So a cursor forged, edited, or carried to another
list or tenant is a 400, never an empty or foreign page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

import orjson

from .errors import InvalidRequest

MAC_BYTES = 16
NOT_OURS = "the cursor is not one this API gave out for this list"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.encode("ascii") + b"=" * (-len(text) % 4))


class Cursors:
    def __init__(self, key: bytes):
        self._key = key

    def _mac(self, scope: str, position: bytes) -> bytes:
        return hmac.new(self._key, scope.encode() + b"\n" + position, hashlib.sha256).digest()[:MAC_BYTES]

    def encode(self, scope: str, position: tuple[str, ...]) -> str:
        raw = orjson.dumps(list(position))
        return f"{_b64(raw)}.{_b64(self._mac(scope, raw))}"

    def decode(self, scope: str, cursor: str) -> tuple[str, str]:
        """The position a cursor of `scope` stands for; InvalidRequest for any other text."""
        position = self.decode_all(scope, cursor)
        return position[0], position[1]

    def decode_all(self, scope: str, cursor: str) -> tuple[str, ...]:
        """Every value a cursor of `scope` holds; InvalidRequest for any other text."""
        try:
            encoded, mac = cursor.split(".")
            raw, given = _unb64(encoded), _unb64(mac)
        except (ValueError, UnicodeEncodeError, binascii.Error):
            raise InvalidRequest(NOT_OURS) from None
        if not hmac.compare_digest(given, self._mac(scope, raw)):
            raise InvalidRequest(NOT_OURS)
        return tuple(orjson.loads(raw))  # ours, so well formed
