"""Valid bodies of the death, marriage and dossier-sync types, shared by their tests."""

from __future__ import annotations

from typing import Any

DECEASED_ID = "064052001234"  # Gia Lai, 0 = man born 1900–1999, '52
REQUESTER_ID = "064085000321"  # Gia Lai, 0 = man born 1900–1999, '85

DEATH: dict[str, Any] = {
    "registration_kind": "ordinary",
    "deceased": {
        "full_name": "Rơ Châm Blơng",
        "sex": "male",
        "birth_date": "1952-02-14",
        "ethnicity": "Jrai",
        "nationality": "Việt Nam",
        "residence": {"province": "Gia Lai", "district": "Huyện Chư Păh", "commune": "Xã Ia Ka"},
        "personal_id": DECEASED_ID,
        "death_date": "2026-10-03",
        "death_time": "04:30:00",
        "death_place": {"province": "Gia Lai", "detail": "Bệnh viện Đa khoa tỉnh Gia Lai"},
        "cause": "Bệnh già",
    },
    "requester": {
        "full_name": "Rơ Châm H'Lan",
        "relationship": "con",
        "id_document": {"type": "citizen_id_card", "number": REQUESTER_ID},
        "personal_id": REQUESTER_ID,
    },
    "registration_place": "000.00.21.H21",
    "registered_on": "2026-10-10",
    "death_notice": {
        "number": "GBT-2026-0042",
        "issued_on": "2026-10-04",
        "issued_by": "Bệnh viện Đa khoa tỉnh Gia Lai",
    },
    "copies": 3,
}

# Liên thông khai tử: the deceased's personal ID and residence, and the requester's identity, are
# all in DEATH already; only the kind differs.
DEATH_LTKT: dict[str, Any] = {**DEATH, "registration_kind": "joined_ltkt"}

HUSBAND_ID = "080098004321"  # Long An, 0 = man born 1900–1999, '98
WIFE_ID = "093301001234"  # Hậu Giang, 3 = woman born 2000–2099, '01

MARRIAGE: dict[str, Any] = {
    "registration_place": "000.00.05.H62",
    "registered_on": "2026-05-20",
    "husband": {
        "full_name": "Phạm Văn Khoa",
        "birth_date": "1998-09-01",
        "ethnicity": "Kinh",
        "nationality": "Việt Nam",
        "residence": {"province": "Long An", "district": "Huyện Bến Lức"},
        "id_document": {"type": "citizen_id_card", "number": HUSBAND_ID},
        "personal_id": HUSBAND_ID,
        "marital_status": "divorced",
        "marriage_count": 2,
    },
    "wife": {
        "full_name": "Võ Thị Lan",
        "birth_date": "2001-12-24",
        "ethnicity": "Kinh",
        "nationality": "Việt Nam",
        "personal_id": WIFE_ID,
        "marital_status": "single",
        "marriage_count": 1,
    },
    "copies": 2,
}

OWNER = "Nguyễn Văn Bình"

DOSSIER: dict[str, Any] = {
    "dossier_code": "000.00.21.H21-260310-0007",
    "procedure_code": "1.001193",
    "procedure_name": "Đăng ký khai sinh",
    "owner": OWNER,
    "channel": 2,
    "handling_unit": "UBND xã Ia Ka",
    "received_at": "2026-03-10T08:15:00+07:00",
    "due_at": "2026-03-11T17:00:00+07:00",
    "status": 10,
    "returned_at": "2026-03-11T09:30:00+07:00",
    "steps": [
        {
            "handled_at": "2026-03-10T08:15:00+07:00",
            "handler": "Trần Thị Thu",
            "position": "Công chức tư pháp - hộ tịch",
            "department": "Bộ phận một cửa",
            "content": "Tiếp nhận hồ sơ",
        },
        {"handled_at": "2026-03-11T09:30:00+07:00", "content": "Trả kết quả"},
    ],
}
