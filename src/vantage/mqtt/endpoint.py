"""`/mqtt`: the result channel as a WebSocket route of the server's own port.

`CHECKLY_MQTT_URL` is then the server's URL with `ws://` (`wss://` behind TLS) and `/mqtt`. The
route is a plain Starlette one, outside FastAPI's dependencies (they read HTTP requests). The CLI
offers the `mqtt` subprotocol, which is echoed; the credentials are in CONNECT, not in headers.
"""

from __future__ import annotations

import contextlib

from starlette.websockets import WebSocket, WebSocketDisconnect

from vantage.accounts.service import account_for_key
from vantage.mqtt import broker
from vantage.runtime import Runtime

PATH = "/mqtt"
SUBPROTOCOLS = ("mqtt", "mqttv3.1")


class _WebSocketTransport:
    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket

    async def receive(self) -> bytes | None:
        while True:
            message = await self.websocket.receive()
            if message["type"] == "websocket.disconnect":
                return None
            data = message.get("bytes")
            if data is not None:
                return bytes(data)
            text = message.get("text")
            if text is not None:
                return str(text).encode()

    async def send(self, data: bytes) -> None:
        await self.websocket.send_bytes(data)


async def mqtt_endpoint(websocket: WebSocket) -> None:
    runtime: Runtime = websocket.app.state.runtime
    offered = websocket.scope.get("subprotocols") or []
    chosen = next((p for p in offered if p in SUBPROTOCOLS), None)
    await websocket.accept(subprotocol=chosen)

    async def authenticate(username: str, password: bytes) -> str | None:
        try:
            key = password.decode()
        except UnicodeDecodeError:
            return None
        async with runtime.db.read() as conn:
            account = await account_for_key(conn, key)
        # As the REST API: the key's own account, named as the username.
        if account is None or account.id != username:
            return None
        return account.id

    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        await broker.serve(_WebSocketTransport(websocket), runtime.hub, authenticate)
        await websocket.close()
