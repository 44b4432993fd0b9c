"""``GET /docs``: the OpenAPI document as one page to read, rendered on the server.

Plain HTML with a little inline CSS, no script and no link to anything outside the gateway: it
works in a data centre without internet and in a text browser. It shows each operation (who may
call it, its parameters, its body, per message type, and its answers) and every schema with its
fields and constraints, all from the same document ``/v1/openapi.json`` serves.

Not for: trying calls out (use curl or the SDK against the document) or building the document
(``lgsp.gateway.openapi``).
"""

from __future__ import annotations

import functools
from html import escape
from typing import Any

from aiohttp import web

from lgsp.gateway.openapi import OPENAPI_PATH, openapi_document

__all__ = ["render_docs", "setup_docs_routes"]

Json = dict[str, Any]
_METHODS = ("get", "post", "put", "patch", "delete")
_CONSTRAINTS = (
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minItems",
    "maxItems",
    "format",
    "default",
)
_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#222}
code,pre{font-family:ui-monospace,monospace;font-size:90%}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}
th,td{border-bottom:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
section{border-top:2px solid #eee;padding-top:.5rem}
.m{font-weight:bold;padding:0 .4rem;border-radius:3px;background:#e8eef8}
.muted{color:#666}
"""


def _name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _link(ref: str) -> str:
    name = escape(_name(ref))
    return f'<a href="#schema-{name}">{name}</a>'


def _type(schema: Json) -> str:
    """A schema's type in a few words, with links to the named schemas it uses."""
    if "$ref" in schema:
        return _link(schema["$ref"])
    if "const" in schema:
        return f"<code>{escape(repr(schema['const']))}</code>"
    if "enum" in schema:
        return "one of " + ", ".join(f"<code>{escape(str(v))}</code>" for v in schema["enum"])
    for key in ("oneOf", "anyOf"):
        if key in schema:
            return " | ".join(_type(s) for s in schema[key])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array of {_type(schema.get('items', {}))}"
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return f"object of {_type(schema['additionalProperties'])}"
    return escape(str(kind))


def _notes(schema: Json) -> str:
    parts = [escape(schema.get("description", ""))]
    rules = [f"{k}: <code>{escape(str(schema[k]))}</code>" for k in _CONSTRAINTS if k in schema]
    if rules:
        parts.append(f'<span class="muted">{"; ".join(rules)}</span>')
    return " ".join(p for p in parts if p)


def _fields(schema: Json) -> str:
    properties: Json = schema.get("properties", {})
    if not properties:
        return ""
    required = set(schema.get("required", ()))
    rows = "".join(
        f"<tr><td><code>{escape(name)}</code>{'' if name in required else '?'}</td>"
        f"<td>{_type(prop)}</td><td>{_notes(prop)}</td></tr>"
        for name, prop in properties.items()
    )
    return f"<table><tr><th>field</th><th>type</th><th></th></tr>{rows}</table>"


def _parameters(parameters: list[Json]) -> str:
    if not parameters:
        return ""
    rows = "".join(
        f"<tr><td><code>{escape(p['name'])}</code>{'' if p.get('required') else '?'}</td>"
        f"<td>{escape(p['in'])}</td><td>{_type(p.get('schema', {}))}</td>"
        f"<td>{_notes({**p.get('schema', {}), 'description': p.get('description', '')})}</td></tr>"
        for p in parameters
    )
    return f"<h4>Parameters</h4><table>{rows}</table>"


def _body(body: Json | None, schemas: Json) -> str:
    if body is None:
        return ""
    out = ["<h4>Body</h4><ul>"]
    for content_type, media in body["content"].items():
        schema = media.get("schema", {})
        out.append(f"<li><code>{escape(content_type)}</code>: {_type(schema)}")
        target = schemas.get(_name(schema["$ref"]), {}) if "$ref" in schema else schema
        mapping = target.get("discriminator", {}).get("mapping", {})
        if mapping:
            out.append("<ul>")
            out.extend(
                f"<li><code>{escape(kind)}</code>: {_link(ref)}</li>"
                for kind, ref in mapping.items()
            )
            out.append("</ul>")
        elif "description" in target:
            out.append(f" {escape(target['description'])}")
        out.append("</li>")
    out.append("</ul>")
    return "".join(out)


def _responses(responses: Json, shared: Json) -> str:
    rows = []
    for status, answer in responses.items():
        if "$ref" in answer:
            answer = shared[_name(answer["$ref"])]
        content = answer.get("content", {})
        kinds = ", ".join(
            f"<code>{escape(ct)}</code> {_type(m.get('schema', {}))}" for ct, m in content.items()
        )
        rows.append(
            f"<tr><td>{escape(status)}</td><td>{escape(answer.get('description', ''))}</td>"
            f"<td>{kinds}</td></tr>"
        )
    return f"<h4>Answers</h4><table>{''.join(rows)}</table>"


def _operation(path: str, method: str, op: Json, document: Json) -> str:
    components = document["components"]
    who = (
        "no key"
        if op.get("security") == []
        else "<code>Authorization: Bearer &lt;api key&gt;</code>"
    )
    return (
        f'<section id="op-{escape(op["operationId"])}">'
        f'<h3><span class="m">{method.upper()}</span> <code>{escape(path)}</code></h3>'
        f"<p>{escape(op.get('summary', ''))}. {escape(op.get('description', ''))}</p>"
        f"<p>Auth: {who}</p>"
        f"{_parameters(op.get('parameters', []))}"
        f"{_body(op.get('requestBody'), components['schemas'])}"
        f"{_responses(op['responses'], components['responses'])}</section>"
    )


def _schema(name: str, schema: Json) -> str:
    body = _fields(schema) or f"<p>{_type(schema)}</p>"
    return (
        f'<section id="schema-{escape(name)}"><h3>{escape(name)}</h3>'
        f"<p>{escape(schema.get('description', ''))}</p>{body}</section>"
    )


def render_docs(document: Json) -> str:
    """The page for ``document``: operations by tag, then every schema."""
    info = document["info"]
    operations: dict[str, list[str]] = {t["name"]: [] for t in document.get("tags", [])}
    index: list[str] = []
    for path, item in document["paths"].items():
        for method in _METHODS:
            if method in item:
                op = item[method]
                operations.setdefault(op["tags"][0], []).append(
                    _operation(path, method, op, document)
                )
                index.append(
                    f'<li><a href="#op-{escape(op["operationId"])}">{method.upper()} '
                    f"{escape(path)}</a> {escape(op.get('summary', ''))}</li>"
                )
    tags = {t["name"]: t.get("description", "") for t in document.get("tags", [])}
    sections = "".join(
        f"<h2>{escape(tag)}</h2><p>{escape(tags.get(tag, ''))}</p>{''.join(ops)}"
        for tag, ops in operations.items()
        if ops
    )
    schemas = "".join(_schema(n, s) for n, s in document["components"]["schemas"].items())
    title = escape(f"{info['title']} {info['version']}")
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{_STYLE}</style></head><body><h1>{title}</h1>"
        f"<p>{escape(info.get('description', ''))} The machine-readable document: "
        f'<a href="{OPENAPI_PATH}"><code>{OPENAPI_PATH}</code></a> (OpenAPI '
        f"{escape(document['openapi'])}). Every error is <code>application/problem+json</code>"
        f' (<a href="#schema-Problem">Problem</a>).</p>'
        f"<ul>{''.join(index)}</ul>{sections}<h2>Schemas</h2>{schemas}</body></html>"
    )


@functools.cache
def _page() -> bytes:
    return render_docs(openapi_document()).encode()


def setup_docs_routes(app: web.Application) -> None:
    """Serve the page at ``/docs``; no key needed."""
    page = _page()

    async def get_docs(request: web.Request) -> web.Response:
        return web.Response(body=page, content_type="text/html", charset="utf-8")

    app.router.add_get("/docs", get_docs)
