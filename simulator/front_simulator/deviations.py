"""Every way the simulator's responses knowingly differ from the schemas of Front's OpenAPI spec.

This is the one list. The spec-validation tests apply exactly these patches to the schemas converted from
``core-api.json`` (otherwise strict: no undeclared fields), and check that each patch is still needed.
Each entry is something the real API does that the spec omits (sources: ../shared/front-api/NOTES.md).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, eq=False)  # identity hash: usable as a cache key despite the dict field
class Deviation:
    """A documented difference: ``schema`` is a components/schemas name, ``field`` a property in it."""

    schema: str
    field: str
    change: str  # "add" (a field the spec lacks) | "nullable" (null where the spec says never null) | "widen"
    json_schema: dict[str, Any] | None
    reason: str


DEVIATIONS: tuple[Deviation, ...] = (
    Deviation(
        "ContactResponse",
        "updated_at",
        "add",
        {"type": "number"},
        "Front returns contact updated_at (changelog 'core-api-contact-list', contacts reference "
        "example); the spec lacks it. Epoch seconds with up to 3 decimals.",
    ),
    Deviation(
        "MessageResponse",
        "is_draft",
        "add",
        {"type": "boolean"},
        "Front returns is_draft on messages (changelog 'core-api-draft-message-status', messages and "
        "drafts reference examples); the spec lacks it.",
    ),
    Deviation(
        "MessageResponse",
        "author",
        "nullable",
        None,
        "author is null for inbound messages from outside Front (Front's own exporter types it as "
        "optional); the spec does not mark it nullable.",
    ),
    Deviation(
        "MessageResponse",
        "text",
        "nullable",
        None,
        "text is the text version of e-mail bodies; it is null for other channels.",
    ),
    Deviation(
        "EventResponse",
        "target.data",
        "widen",
        {
            "anyOf": [
                {"type": "array", "items": {"type": "string"}},
                {"type": "array", "items": {"$ref": "#/components/schemas/InboxResponse"}},
                {"$ref": "#/components/schemas/CustomFieldResponse"},
            ]
        },
        "target._meta.type lists deleted_conversation_ids (conversations_merged: an array of ids), "
        "inboxes (move: an array of inboxes) and custom_field (custom_field_updated), but target.data's "
        "oneOf has no shape for them.",
    ),
)


def apply_deviations(schemas: dict[str, Any], deviations: tuple[Deviation, ...] = DEVIATIONS) -> dict[str, Any]:
    """A copy of OpenAPI ``components/schemas`` with the deviations applied (before conversion)."""
    out = copy.deepcopy(schemas)
    for deviation in deviations:
        schema = out[deviation.schema]
        path = deviation.field.split(".")
        for part in path[:-1]:
            schema = schema["properties"][part]
        name = path[-1]
        properties = schema.setdefault("properties", {})
        if deviation.change == "add":
            properties[name] = copy.deepcopy(deviation.json_schema)
        elif deviation.change == "nullable":
            properties[name] = {**properties[name], "nullable": True}
        elif deviation.change == "widen":
            original = properties[name]
            extra = copy.deepcopy(deviation.json_schema or {})
            properties[name] = {"anyOf": [original, *extra.get("anyOf", [extra])]}
        else:
            raise ValueError(f"unknown deviation change {deviation.change!r}")
    return out
