"""Property-based tests of the gateway against its own OpenAPI document (schemathesis).

The document is loaded from the running test app (embedded bus, SQLite journal) as a vendor would
load it; schemathesis generates requests from it, valid ones and invalid ones, and sends them with
the key of a system that may send every type. Every answer must be documented (status, content
type, body schema, headers), never a 5xx, and every error problem+json. Lookups are answered by
a trivial answerer, so ``/v1/requests`` has no reason to time out.

Agency codes are plain strings in the document (their rules are not a pattern), so random ones are
all refused. To get past the door, a second run narrows ``recipients`` to registered agencies and
then reads every message it got accepted back: from ``/v1/messages/{id}``, the inbox, the ack.

schemathesis sends with a blocking HTTP client: it runs in a worker thread while the test's loop
serves the app. Examples are few and derandomized, so the file takes seconds and reruns alike.
"""

from __future__ import annotations

import asyncio
import collections
import json
from collections.abc import Callable
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from lgsp.bus import Delivery, Reply, ReplyOutcome
from lgsp.registry import register_operator
from lgsp.schemas import MESSAGE_TYPES
from tests.support import RECIPIENT, SENDER, Platform

PROBLEM = "application/problem+json"
FUZZER = "000.00.16.H41"
EXAMPLES = 40


def problem_json(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> None:
    """Every 4xx and 5xx is RFC 9457 problem+json whose ``status`` is the answer's."""
    if response.status_code < 400:
        return
    content_type = response.headers.get("content-type", [""])[0].split(";")[0].strip()
    assert content_type == PROBLEM, f"{response.status_code} answered as {content_type!r}"
    body = response.json()
    assert body["status"] == response.status_code, body


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    problem_json,
]


async def not_found(delivery: Delivery) -> Reply:
    return Reply(ReplyOutcome.NOT_FOUND)


class Fuzzer:
    """Sends generated requests from a worker thread and keeps what came back."""

    def __init__(self, base_url: str, key: str) -> None:
        self.base_url = base_url
        self.headers = {"Authorization": f"Bearer {key}"}
        self.statuses: collections.Counter[int] = collections.Counter()
        self.accepted: list[str] = []

    def document(self) -> dict[str, Any]:
        loaded: dict[str, Any] = requests.get(f"{self.base_url}/v1/openapi.json", timeout=10).json()
        return loaded

    def send(self, case: schemathesis.Case) -> None:
        response = case.call_and_validate(
            base_url=self.base_url, headers=self.headers, checks=CHECKS, timeout=15
        )
        self.statuses[response.status_code] += 1
        if response.status_code == 202 and "id" in response.json():
            self.accepted.append(response.json()["id"])

    def fuzz(self, document: dict[str, Any], method: str, path: str, mode: GenerationMode) -> None:
        operation = schemathesis.openapi.from_dict(document)[path][method]

        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: schemathesis.Case) -> None:
            self.send(case)

        run()


async def start(platform: Platform, *, operator: bool = False) -> Fuzzer:
    """A fuzzer with the key of a system that may send every type (or of an operator)."""
    await platform.add_system("fuzzer", FUZZER, may_send=list(MESSAGE_TYPES), webhook_url=None)
    for axis in ("national", "civil_status"):
        await platform.services.bus.serve_requests(axis, not_found)
    key = platform.keys["fuzzer"]
    if operator:
        key = (await register_operator(platform.services.journal.systems, operator_id="op"))[
            "api_key"
        ]
    return Fuzzer(str(platform.client.make_url("")).rstrip("/"), key)


async def in_thread(work: Callable[[], None]) -> None:
    await asyncio.to_thread(work)


BOTH = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
ONLY_POSITIVE = (GenerationMode.POSITIVE,)  # nothing in the request to make invalid
OPERATIONS = [
    # (method, path, operator's key, modes)
    ("POST", "/v1/messages", False, BOTH),
    ("POST", "/v1/requests", False, BOTH),
    ("POST", "/v1/documents", False, BOTH),
    ("GET", "/v1/messages/{id}", False, BOTH),
    ("GET", "/v1/inbox", False, BOTH),
    ("POST", "/v1/inbox/{id}/ack", False, BOTH),
    ("GET", "/v1/ops/dead-letters", True, BOTH),
    ("POST", "/v1/ops/dead-letters/replay", True, BOTH),
    ("GET", "/v1/ops/dead-letters/{id}", True, BOTH),
    ("POST", "/v1/ops/dead-letters/{id}/replay", True, BOTH),
    ("POST", "/v1/ops/dead-letters/{id}/discard", True, BOTH),
    ("GET", "/v1/ops/endpoints", True, ONLY_POSITIVE),
    ("GET", "/healthz", False, ONLY_POSITIVE),
    ("GET", "/readyz", False, ONLY_POSITIVE),
    ("GET", "/metrics", False, ONLY_POSITIVE),
    ("GET", "/v1/openapi.json", False, ONLY_POSITIVE),
    ("GET", "/docs", False, ONLY_POSITIVE),
]


@pytest.mark.parametrize(
    ("method", "path", "operator", "mode"),
    [
        pytest.param(method, path, operator, mode, id=f"{method} {path} {mode.value}")
        for method, path, operator, modes in OPERATIONS
        for mode in modes
    ],
)
async def test_answers_match_the_document(
    memory_platform: Platform, method: str, path: str, operator: bool, mode: GenerationMode
) -> None:
    fuzzer = await start(memory_platform, operator=operator)
    await in_thread(lambda: fuzzer.fuzz(fuzzer.document(), method, path, mode))
    assert fuzzer.statuses


def addressable(document: dict[str, Any]) -> dict[str, Any]:
    """The document with every message's recipients drawn from registered agencies, and no
    recipients for lookups: narrower than the API, so that generated messages reach the journal."""
    narrowed = json.loads(json.dumps(document))
    for cls in MESSAGE_TYPES.values():
        schema = narrowed["components"]["schemas"][cls.__name__]
        recipients = schema["properties"]["recipients"]
        if cls.request_reply:
            recipients["maxItems"] = 0
        else:
            recipients.pop("default", None)  # the document may already leave it out
            recipients.update(items={"enum": [FUZZER, RECIPIENT, SENDER]}, minItems=1)
            recipients["uniqueItems"] = True
            schema["required"] = sorted({*schema["required"], "recipients"})
    return narrowed


async def test_accepted_messages_read_back_as_documented(memory_platform: Platform) -> None:
    fuzzer = await start(memory_platform)

    def scenario() -> None:
        document = addressable(fuzzer.document())
        fuzzer.fuzz(document, "POST", "/v1/messages", GenerationMode.POSITIVE)
        fuzzer.fuzz(document, "POST", "/v1/requests", GenerationMode.POSITIVE)
        schema = schemathesis.openapi.from_dict(document)
        for message_id in fuzzer.accepted:
            fuzzer.send(schema["/v1/messages/{id}"]["GET"].Case(path_parameters={"id": message_id}))
        fuzzer.send(schema["/v1/inbox"]["GET"].Case(query={"limit": 500}))
        for message_id in fuzzer.accepted:
            fuzzer.send(
                schema["/v1/inbox/{id}/ack"]["POST"].Case(path_parameters={"id": message_id})
            )

    await in_thread(scenario)
    assert fuzzer.accepted, fuzzer.statuses
    assert fuzzer.statuses[200] > len(fuzzer.accepted), fuzzer.statuses
