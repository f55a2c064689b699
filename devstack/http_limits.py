"""The local servers' HTTP parser, bounded: a request head (line and headers) larger than
RAW_HEAD_LIMIT is answered 431 and the connection closed while it is still arriving.

uvicorn's httptools parser keeps a header until it ends, however long (a 64 MiB header was read
whole, in 5 s). The precise limits are the app's (api.limits.HeaderLimit: API Gateway's 10,240
bytes) and the gateway emulation's; this bound only keeps memory and time small before them.
"""

from __future__ import annotations

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from algocloud.limits import RAW_HEAD_LIMIT


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    _in_head = False
    _head_bytes = 0

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head, self._head_bytes = True, 0

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._in_head and not self.transport.is_closing():
            self._head_bytes += len(data)
            if self._head_bytes > RAW_HEAD_LIMIT:
                self._refuse()

    def _refuse(self) -> None:
        body = orjson.dumps(
            {"detail": f"the request line and headers are over {RAW_HEAD_LIMIT:,} bytes; API Gateway takes 10,240"}
        )
        head = (
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: application/json\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\nconnection: close\r\n\r\n"
        )
        self.transport.write(head + body)
        self.transport.close()
