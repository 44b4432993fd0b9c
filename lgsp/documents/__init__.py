"""The document axis's own logic: what lgsp reads and checks in an edXML package (văn bản điện tử →
electronic document) beyond its schema, such as its digital signature.

Not for: the message schemas (``lgsp.schemas``) or transport to the national axis
(``lgsp.adapters``).
"""

from lgsp.documents.signature import SignatureCheck, SignatureState, check_signature

__all__ = ["SignatureCheck", "SignatureState", "check_signature"]
