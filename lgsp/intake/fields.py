"""pydantic's validation errors as the API names them: one ``FieldError`` per field.

Not for: deciding which error a request gets (admission) or rendering it (the gateway's problems).
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError

from lgsp.errors import FieldError

__all__ = ["field_errors"]


def field_errors(exc: ValidationError, *, prefix: Sequence[str | int] = ()) -> list[FieldError]:
    """pydantic's errors as the API names them: ``loc`` from the request body's root.

    In a discriminated union pydantic puts the tag first in ``loc``
    (``["document.send", "body", "subject"]``); callers know the type already, so it goes.
    """
    out: list[FieldError] = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = list(err["loc"])
        kind = err["type"]
        if kind in ("union_tag_invalid", "union_tag_not_found"):
            loc = ["type"]
        elif loc and isinstance(loc[0], str) and "." in loc[0]:
            loc = loc[1:]
        out.append({"loc": [*prefix, *loc], "msg": err["msg"], "type": kind})
    return out
