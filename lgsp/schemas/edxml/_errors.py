"""Why a package was refused: ``EdxmlInvalid`` and the shape of each of its errors.

::

    Exception
    └── EdxmlInvalid        .errors: list[ErrorDetails], .malformed: bool
          malformed=True    the bytes are not an XML document this codec reads (not well-formed,
                            not UTF-8, a DOCTYPE, too deep, too large): a caller's 400
          malformed=False   well-formed XML that is not a package of the standard or cannot be
                            routed (wrong root, a broken agency code, an impossible date...): 422

Each error has the shape pydantic gives (``loc``, ``msg``, ``type``) so that the gateway can answer
JSON and edXML mistakes alike; ``loc`` names elements, not model fields: the path under
``edXMLHeader`` (``["MessageHeader", "To", 0, "OrganId"]``), under ``edXMLEnvelope`` for the body
(``["edXMLBody", "edXMLManifest", "Reference", 0, "ContentId"]``), under the root for attachments
(``["AttachmentEncoded", "Attachment", 0, "ContentId"]``), ``["edXML"]`` for the root element and
``[]`` for the document as a whole.

Not for: lgsp's own error hierarchy (``lgsp.errors``), which the gateway translates this into.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypedDict

__all__ = ["EdxmlInvalid", "ErrorDetails", "Loc"]

Loc = list[str | int]


class ErrorDetails(TypedDict):
    """One reason a package was refused, shaped like a pydantic error."""

    loc: Loc
    msg: str
    type: str


class EdxmlInvalid(Exception):
    """The package cannot be read, or breaks QCVN 102:2016, or cannot be routed.

    ``errors`` lists every problem found, not just the first, so a vendor fixes them in one go.
    Each is an ``ErrorDetails``, held as a plain dict so that it passes wherever pydantic-shaped
    error dicts are taken.
    """

    def __init__(self, errors: Sequence[ErrorDetails], *, malformed: bool) -> None:
        self.errors: list[dict[str, Any]] = [dict(error) for error in errors]
        self.malformed = malformed
        super().__init__(self._summary())

    def _summary(self) -> str:
        kind = "not a readable edXML package" if self.malformed else "edXML package refused"
        shown = "; ".join(
            f"{'/'.join(str(part) for part in e['loc']) or '(document)'}: {e['msg']}"
            for e in self.errors[:5]
        )
        more = f" (and {len(self.errors) - 5} more)" if len(self.errors) > 5 else ""
        return f"{kind}: {shown}{more}"
