"""The field glossary of the OpenAPI documents: name -> (description, example).

``"Model.field"`` for a name that means something of its own in one model. Examples are
realistic and fictitious: CNY as decimal strings, masked phones, never a real-looking ID number.
"""

from __future__ import annotations

from typing import Any

TERMS: dict[str, tuple[str, Any] | tuple[str]] = {}
