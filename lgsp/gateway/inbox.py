"""Pull delivery: ``GET /v1/inbox`` and ``POST /v1/inbox/{id}/ack``, for systems without a webhook.

A message waits in a system's inbox until the system acknowledges it; each message is there once
per system whatever the redeliveries or replays. An edXML system gets the package (base64), any
other the JSON envelope.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from aiohttp import web

from lgsp.documents.formats import DocumentMessage
from lgsp.errors import NotFound, ValidationFailed
from lgsp.gateway.keys import BLOBS, JOURNAL
from lgsp.gateway.responses import caller, json_response
from lgsp.journal import MessageRecord, RecipientState, System

__all__ = ["setup_inbox_routes"]


async def _item(app: web.Application, record: MessageRecord, system: System) -> dict[str, Any]:
    if record.payload_ref:
        payload = await app[BLOBS].get(record.payload_ref)
    else:
        payload = await app[JOURNAL].payload(record.id) or b""
    message = DocumentMessage.from_record(record, payload)
    item: dict[str, Any] = {
        "id": record.id,
        "type": record.type,
        "sender": record.sender,
        "created_at": record.created_at.isoformat(),
    }
    if system.format == "edxml" and record.type.startswith("document."):
        item["content_type"] = "application/xml"
        item["package"] = base64.b64encode(message.as_edxml()).decode()
    else:
        item["content_type"] = "application/json"
        item["envelope"] = json.loads(message.as_json())
    return item


async def get_inbox(request: web.Request) -> web.Response:
    system = await caller(request)
    try:
        limit = min(max(int(request.query.get("limit", "50")), 1), 500)
    except ValueError as exc:
        raise ValidationFailed(
            "limit must be a number",
            [{"loc": ["query", "limit"], "msg": "an integer", "type": "int_parsing"}],
        ) from exc
    records = await request.app[JOURNAL].inbox_of(system.id, limit=limit)
    return json_response({"items": [await _item(request.app, r, system) for r in records]})


async def ack_inbox(request: web.Request) -> web.Response:
    system = await caller(request)
    message_id = request.match_info["id"]
    if not await request.app[JOURNAL].ack_inbox(message_id, system_id=system.id):
        raise NotFound(f"no message {message_id} in this system's inbox")
    return json_response({"id": message_id, "status": RecipientState.ACKED})


def setup_inbox_routes(app: web.Application) -> None:
    app.router.add_get("/v1/inbox", get_inbox)
    app.router.add_post("/v1/inbox/{id}/ack", ack_inbox)
