"""The one rule for user-given names: session names, scenario tags, dataset keys.

Names are normalised (Unicode NFC, surrounding spaces stripped) so that two
spellings of the same text are the same name, and bounded in UTF-8 bytes so
they fit every store's key limits (DynamoDB: 1,024 bytes per sort key).
Names that appear in a URL path (session names, dataset keys) may not
contain '/'.
"""

from __future__ import annotations

import re
import unicodedata

from ..limits import MAX_NAME_BYTES
from .errors import InvalidName


def normal_form(text: str) -> str:
    """The Unicode form names are stored in; lookups by name use it too."""
    return unicodedata.normalize("NFC", text)


def clean_name(raw: object, what: str, field: str, in_path: bool = True) -> str:
    """The normalised name, or InvalidName saying what is wrong with it (and which `field` it was)."""

    def invalid(problem: str) -> InvalidName:
        return InvalidName(f"{what} {problem}", field)

    if not isinstance(raw, str):
        raise invalid("must be a string")
    name = normal_form(raw).strip()
    if not name:
        raise invalid("must not be empty")
    size = len(name.encode("utf-8", errors="surrogatepass"))
    if size > MAX_NAME_BYTES:
        raise invalid(f"is {size} bytes long in UTF-8; the limit is {MAX_NAME_BYTES}")
    if any(unicodedata.category(char) in ("Cc", "Cs") for char in name):
        raise invalid("must not contain control characters")
    if in_path and "/" in name:
        raise invalid("must not contain '/': it is used in URLs")
    return name


_ISSUED_ID = re.compile(r"[0-9a-f]{32}")


def is_issued_id(value: str) -> bool:
    """Whether `value` has the one form of the ids this API issues for uploads and jobs (a UUID's
    32 lowercase hex digits): anything else names nothing, and never reaches a store."""
    return _ISSUED_ID.fullmatch(value) is not None
