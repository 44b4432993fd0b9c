"""lgsp: the provincial integration and data-sharing platform.

One door between a province's systems, and between them and the national axes: a gateway that
authenticates, authorises and validates, a journal of every message, RabbitMQ relay with publisher
confirms, and adapters that deliver.
"""

from lgsp.settings import Settings

__all__ = ["Settings", "__version__"]

__version__ = "0.1.0"
