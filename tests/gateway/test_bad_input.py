"""Every bad input gets its precise 4xx problem+json naming the field, never a 500."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from tests.gateway.test_messages import DOCUMENT, message
from tests.support import RECIPIENT, Platform

PROBLEM = "application/problem+json"


async def post(platform: Platform, *, system: str | None = "qlvb-a", **kwargs: Any) -> Any:
    headers = {**(platform.auth(system) if system else {}), **kwargs.pop("headers", {})}
    response = await platform.client.post("/v1/messages", headers=headers, **kwargs)
    assert response.content_type == PROBLEM, await response.text()
    body = await response.json()
    assert body["status"] == response.status
    assert {"type", "title", "status", "detail"} <= body.keys()
    return response.status, body


def locs(problem: dict[str, Any]) -> list[list[Any]]:
    return [e["loc"] for e in problem.get("errors", [])]


async def test_no_key(memory_platform: Platform) -> None:
    status, _ = await post(memory_platform, system=None, json=message())
    assert status == 401


async def test_wrong_key(memory_platform: Platform) -> None:
    status, _ = await post(
        memory_platform, system=None, json=message(), headers={"Authorization": "Bearer nope"}
    )
    assert status == 401


async def test_not_a_bearer_key(memory_platform: Platform) -> None:
    status, _ = await post(
        memory_platform, system=None, json=message(), headers={"Authorization": "Basic abc"}
    )
    assert status == 401


async def test_type_not_allowed_for_caller(memory_platform: Platform) -> None:
    await memory_platform.add_system("hotich", "000.00.14.H41", may_send=["civil_status.birth"])
    status, problem = await post(memory_platform, system="hotich", json=message())
    assert status == 403
    assert "document.send" in problem["detail"]


async def test_type_not_allowed_even_when_body_invalid(memory_platform: Platform) -> None:
    await memory_platform.add_system("hotich", "000.00.14.H41", may_send=["civil_status.birth"])
    status, _ = await post(memory_platform, system="hotich", json=message(body={}))
    assert status == 403


async def test_malformed_json(memory_platform: Platform) -> None:
    status, problem = await post(
        memory_platform,
        data=b'{"type": "document.send",',
        headers={"Content-Type": "application/json"},
    )
    assert status == 400
    assert problem["errors"][0]["type"] == "json_invalid"


async def test_wrong_content_type(memory_platform: Platform) -> None:
    status, problem = await post(
        memory_platform, data=b"type=document.send", headers={"Content-Type": "text/plain"}
    )
    assert status == 415
    assert locs(problem) == [["header", "Content-Type"]]


async def test_unknown_type(memory_platform: Platform) -> None:
    status, problem = await post(memory_platform, json=message(type="document.fax"))
    assert status == 422
    assert locs(problem) == [["type"]]


async def test_missing_type(memory_platform: Platform) -> None:
    payload = message()
    del payload["type"]
    status, problem = await post(memory_platform, json=payload)
    assert status == 422
    assert locs(problem) == [["type"]]


async def test_invalid_agency_code(memory_platform: Platform) -> None:
    status, problem = await post(memory_platform, json=message(recipients=[RECIPIENT, "28.22.H17"]))
    assert status == 422
    assert locs(problem) == [["recipients", 1]]
    assert problem["errors"][0]["type"] == "agency_code"
    assert "QCVN 102" in problem["errors"][0]["msg"]


async def test_unknown_field(memory_platform: Platform) -> None:
    status, problem = await post(memory_platform, json=message(sender="000.00.00.G22"))
    assert status == 422
    assert locs(problem) == [["sender"]]
    assert problem["errors"][0]["type"] == "extra_forbidden"


async def test_unknown_field_in_body(memory_platform: Platform) -> None:
    status, problem = await post(memory_platform, json=message(body={**DOCUMENT, "colour": "red"}))
    assert status == 422
    assert locs(problem) == [["body", "colour"]]


async def test_missing_subject(memory_platform: Platform) -> None:
    body = {k: v for k, v in DOCUMENT.items() if k != "subject"}
    status, problem = await post(memory_platform, json=message(body=body))
    assert status == 422
    assert locs(problem) == [["body", "subject"]]


async def test_subject_over_500_characters(memory_platform: Platform) -> None:
    status, problem = await post(
        memory_platform, json=message(body={**DOCUMENT, "subject": "x" * 501})
    )
    assert status == 422
    assert locs(problem) == [["body", "subject"]]


async def test_no_recipients(memory_platform: Platform) -> None:
    status, problem = await post(memory_platform, json=message(recipients=[]))
    assert status == 422
    assert problem["errors"][0]["type"] == "recipients_missing"


async def test_body_over_the_limit(memory_platform: Platform) -> None:
    limit = memory_platform.settings.max_body_bytes
    big = json.dumps(message(body={**DOCUMENT, "content": "x" * (limit + 10)})).encode()
    status, problem = await post(
        memory_platform, data=io.BytesIO(big), headers={"Content-Type": "application/json"}
    )
    assert status == 413
    assert locs(problem) == [["body"]]


async def test_body_over_the_limit_without_content_length(memory_platform: Platform) -> None:
    limit = memory_platform.settings.max_body_bytes

    async def chunks() -> Any:
        for _ in range(limit // 1024 + 2):
            yield b"x" * 1024

    status, _ = await post(
        memory_platform, data=chunks(), headers={"Content-Type": "application/json"}
    )
    assert status == 413


async def test_json_that_is_not_an_object(memory_platform: Platform) -> None:
    status, _ = await post(memory_platform, json=[1, 2, 3])
    assert status == 422


async def test_idempotency_key_too_long(memory_platform: Platform) -> None:
    status, problem = await post(
        memory_platform, json=message(), headers={"Idempotency-Key": "k" * 256}
    )
    assert status == 400 or status == 422
    assert locs(problem) == [["header", "Idempotency-Key"]]


async def test_lookup_type_is_refused_on_messages(memory_platform: Platform) -> None:
    await memory_platform.add_system("mc", "000.00.15.H41", may_send=["national.citizen_lookup"])
    payload = {"type": "national.citizen_lookup", "body": {"personal_id": "001090000001"}}
    status, problem = await post(memory_platform, system="mc", json=payload)
    assert status == 422
    assert locs(problem) == [["type"]]


async def test_unknown_message_id(memory_platform: Platform) -> None:
    response = await memory_platform.client.get(
        "/v1/messages/nope", headers=memory_platform.auth("qlvb-a")
    )
    assert response.status == 404
    assert response.content_type == PROBLEM


async def test_unknown_route_is_problem_json(memory_platform: Platform) -> None:
    response = await memory_platform.client.get("/v1/nothing")
    assert response.status == 404
    assert response.content_type == PROBLEM


async def test_wrong_method_is_problem_json(memory_platform: Platform) -> None:
    response = await memory_platform.client.delete("/v1/messages")
    assert response.status == 405
    assert response.content_type == PROBLEM
    assert "POST" in response.headers["Allow"]


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
async def test_probes(memory_platform: Platform, path: str) -> None:
    response = await memory_platform.client.get(path)
    assert response.status == 200
