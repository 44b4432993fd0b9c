"""Pull delivery: the inbox of a system without a webhook, once per message, until acked."""

from __future__ import annotations

import asyncio
import base64

from lgsp.intake.recovery import outgoing_from_record
from lgsp.schemas.edxml import EdxmlDocument, parse
from tests.gateway.test_messages import message
from tests.support import Platform

PULL = "000.00.30.H41"


async def inbox(platform: Platform, system: str) -> list[dict[str, object]]:
    response = await platform.client.get("/v1/inbox", headers=platform.auth(system))
    assert response.status == 200
    items: list[dict[str, object]] = (await response.json())["items"]
    return items


async def test_a_system_without_webhook_pulls_and_acks(memory_platform: Platform) -> None:
    await memory_platform.add_system("pull", PULL, webhook_url=None)
    sent = await memory_platform.client.post(
        "/v1/messages", json=message(recipients=[PULL]), headers=memory_platform.auth("qlvb-a")
    )
    message_id = (await sent.json())["id"]
    record = await memory_platform.wait_status(message_id, "delivered")
    assert any(e.status == "inboxed" and e.recipient == PULL for e in record.events)

    # Delivered again (a broker redelivery, a replay): still there once.
    payload = await memory_platform.services.journal.payload(message_id) or b""
    await memory_platform.services.bus.publish(outgoing_from_record(record, payload))
    await asyncio.sleep(0.3)
    items = await inbox(memory_platform, "pull")
    assert [i["id"] for i in items] == [message_id]
    envelope = items[0]["envelope"]
    assert isinstance(envelope, dict)
    assert envelope["body"]["subject"]

    assert await inbox(memory_platform, "qlvb-b") == []
    stranger = await memory_platform.client.post(
        f"/v1/inbox/{message_id}/ack", headers=memory_platform.auth("qlvb-b")
    )
    assert stranger.status == 404
    acked = await memory_platform.client.post(
        f"/v1/inbox/{message_id}/ack", headers=memory_platform.auth("pull")
    )
    assert acked.status == 200
    assert await inbox(memory_platform, "pull") == []
    again = await memory_platform.client.post(
        f"/v1/inbox/{message_id}/ack", headers=memory_platform.auth("pull")
    )
    assert again.status == 200  # acking twice is harmless
    final = await memory_platform.services.journal.get(message_id)
    assert final is not None
    assert [e.status for e in final.events].count("acked") == 1


async def test_an_edxml_system_pulls_packages(memory_platform: Platform) -> None:
    await memory_platform.add_system("pull-x", PULL, webhook_url=None, format="edxml")
    sent = await memory_platform.client.post(
        "/v1/messages", json=message(recipients=[PULL]), headers=memory_platform.auth("qlvb-a")
    )
    await memory_platform.wait_status((await sent.json())["id"], "delivered")
    items = await inbox(memory_platform, "pull-x")
    assert items[0]["content_type"] == "application/xml"
    package = parse(base64.b64decode(str(items[0]["package"])))
    assert isinstance(package, EdxmlDocument)


async def test_inbox_needs_a_key(memory_platform: Platform) -> None:
    assert (await memory_platform.client.get("/v1/inbox")).status == 401
