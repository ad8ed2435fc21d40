"""Field metadata shared by every dataclass that is read from TOML (config sections, output Options).

``doc("...", minimum=0, maximum=10, choices=(...))`` puts the human description and the value limits in the
dataclass field's ``metadata``; the validator checks them and ``facebridge config init`` prints the text.
"""

from __future__ import annotations

from typing import Any


def doc(text: str, **extra: Any) -> dict[str, Any]:
    """Metadata for ``dataclasses.field(metadata=...)``: the description plus checks (minimum/maximum/choices)."""
    return {"doc": text, **extra}
