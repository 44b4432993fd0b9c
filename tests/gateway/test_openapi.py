"""GET /v1/openapi.json and GET /docs: a valid OpenAPI 3.1 document of every route the gateway
serves, generated from the shared models, and a page to read it that needs nothing from outside."""

from __future__ import annotations

import re
from typing import Any

from openapi_spec_validator import validate

from lgsp.schemas import MESSAGE_TYPES, SUBMISSION
from tests.support import Platform

PROBLEM = "application/problem+json"
METHODS = {"get", "post", "put", "patch", "delete"}


async def document(platform: Platform) -> dict[str, Any]:
    response = await platform.client.get("/v1/openapi.json")  # no key asked
    assert response.status == 200
    assert response.content_type == "application/json"
    loaded: dict[str, Any] = await response.json()
    return loaded


async def test_the_document_is_valid_openapi_3_1(memory_platform: Platform) -> None:
    spec = await document(memory_platform)
    assert spec["openapi"].startswith("3.1")
    validate(spec)
    assert spec["servers"] == [{"url": "/"}]
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


async def test_every_route_served_is_documented_and_no_other(memory_platform: Platform) -> None:
    spec = await document(memory_platform)
    served = {
        (route.method.lower(), route.resource.canonical)
        for route in memory_platform.client.app.router.routes()
        if route.method != "HEAD" and route.resource is not None
    }
    documented = {
        (method, path)
        for path, item in spec["paths"].items()
        for method in item
        if method in METHODS
    }
    assert documented == served


async def test_message_schemas_are_the_shared_models(memory_platform: Platform) -> None:
    spec = await document(memory_platform)
    schemas = spec["components"]["schemas"]
    generated = SUBMISSION.json_schema(ref_template="#/components/schemas/{model}")
    for name, schema in generated["$defs"].items():
        assert schemas[name] == schema, name
    messages = schemas["MessageSubmission"]["discriminator"]["mapping"]
    lookups = schemas["LookupSubmission"]["discriminator"]["mapping"]
    assert set(messages) | set(lookups) == set(MESSAGE_TYPES)
    assert {t for t, cls in MESSAGE_TYPES.items() if cls.request_reply} == set(lookups)
    # Every reference points at a component that is there.
    text = str(spec)
    for ref in re.findall(r"#/components/(\w+)/([\w.-]+)", text):
        assert ref[1] in spec["components"][ref[0]], ref


async def test_every_error_is_a_problem(memory_platform: Platform) -> None:
    spec = await document(memory_platform)
    shared = spec["components"]["responses"]
    problem = spec["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail"} <= set(problem["required"])
    assert "errors" in problem["properties"]
    for path, item in spec["paths"].items():
        for method, op in item.items():
            for status, answer in op["responses"].items():
                if int(status) < 400 or path == "/readyz":
                    continue
                answer = shared[answer["$ref"].rsplit("/", 1)[-1]]
                assert list(answer["content"]) == [PROBLEM], (method, path, status)
            secured = op.get("security") != []
            assert ("401" in op["responses"]) == secured, (method, path)


async def test_documented_statuses(memory_platform: Platform) -> None:
    paths = (await document(memory_platform))["paths"]

    def statuses(method: str, path: str) -> set[str]:
        return set(paths[path][method]["responses"])

    assert statuses("post", "/v1/messages") == {
        *("202", "400", "401", "403", "409", "413", "415", "422", "503"),
    }
    assert statuses("post", "/v1/requests") >= {"200", "422", "502", "503", "504"}
    assert statuses("get", "/v1/messages/{id}") == {"200", "401", "404", "503"}
    parameters = paths["/v1/messages"]["post"]["parameters"]
    assert [p["name"] for p in parameters] == ["Idempotency-Key"]
    assert set(paths["/v1/documents"]["post"]["requestBody"]["content"]) == {
        "application/xml",
        "text/xml",
    }


async def test_docs_page_reads_offline(memory_platform: Platform) -> None:
    response = await memory_platform.client.get("/docs")  # no key asked
    assert response.status == 200
    assert response.content_type == "text/html"
    page = await response.text()
    # Nothing to fetch from anywhere: no script, no stylesheet, no image, no absolute link.
    assert "<script" not in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    spec = await document(memory_platform)
    for path in spec["paths"]:
        assert f"<code>{path}</code>" in page
    for message_type in MESSAGE_TYPES:
        assert f"<code>{message_type}</code>" in page
    for name in spec["components"]["schemas"]:
        assert f'id="schema-{name}"' in page
