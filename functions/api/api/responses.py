"""JSON responses rendered with orjson, returned directly by the hot endpoints.

Returning a Response skips FastAPI's jsonable_encoder pass over the body,
which dominated the time of large scenario lists; the endpoints' return
annotations still document the shapes.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse


class OrjsonResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)
