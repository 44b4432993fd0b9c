"""Another province's LGSP on the national document axis, reduced to what a demo needs.

It takes the documents the axis holds for it and answers each with status packages (arrived,
accepted, done...), as a far province's document system would over the following days. lgsp's
own inbox then brings those statuses home onto the original document.

Not for: production, or delivering anything inside that province.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from lgsp.adapters.vdxp.client import VdxpClient
from lgsp.documents.status import document_id_of
from lgsp.schemas import DocumentStatus
from lgsp.schemas.edxml import (
    EdxmlDocument,
    Organization,
    document_to_json,
    parse,
    status_from_json,
    write,
)

__all__ = ["FarProvince"]


class FarProvince:
    def __init__(self, client: VdxpClient, *, agency: str, staff: str = "Văn thư") -> None:
        self._client = client
        self._agency = agency
        self._staff = staff

    async def answer(self, codes: Sequence[str] = ("01", "03", "06")) -> list[str]:
        """Answer every document waiting for this province; returns their DocIds on the axis."""
        answered: list[str] = []
        for item in await self._client.received("eDoc"):
            package = parse(await self._client.get_edoc(item.doc_id))
            if isinstance(package, EdxmlDocument):
                for offset, code in enumerate(codes):
                    status = self._status(package, code, offset)
                    await self._client.send_edoc(
                        write(status_from_json(status, sender=Organization(organ_id=self._agency))),
                        sender=self._agency,
                        service_type="status",
                    )
            await self._client.update_status(item.doc_id, "done")
            answered.append(item.doc_id)
        return answered

    def _status(self, package: EdxmlDocument, code: str, offset: int) -> DocumentStatus:
        body = document_to_json(package)
        origin = package.from_.organ_id
        return DocumentStatus.model_validate(
            {
                "response_for": {
                    "organ_id": origin,
                    "code": f"{body.code.number}/{body.code.notation}",
                    "promulgation_date": body.promulgation.date.isoformat(),
                    "document_id": package.document_id or document_id_of(body, sender=origin),
                },
                "status_code": code,
                "timestamp": (datetime.now(UTC) + timedelta(seconds=offset)).isoformat(),
                "staff": {"department": "Văn phòng", "staff": self._staff},
            }
        )
