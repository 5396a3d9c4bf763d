"""Front's OpenAPI 3.0 spec (core-api.json) as strict JSON Schema validators (used by the simulator tests).

Conversion: ``$ref`` to ``#/components/schemas/X`` becomes ``#/definitions/X``; ``nullable`` becomes a
null alternative; OpenAPI-only keywords are dropped. Objects that declare properties get
``additionalProperties: false`` (undeclared fields fail), so only the documented deviations in
``front_simulator.deviations`` may add anything. Free-form objects (custom fields, headers) stay open.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from front_simulator.deviations import DEVIATIONS, Deviation, apply_deviations

REPO = Path(__file__).resolve().parents[2]  # the repository root (simulator/front_simulator/ is two below)
# Front's official spec, kept unmodified in the repository (simulator/spec/SOURCE.md says where it comes from).
SPEC_DIR = REPO / "simulator" / "spec"
SPEC_PATH = SPEC_DIR / "core-api.json"

_DROP = {
    "example",
    "examples",
    "description",
    "deprecated",
    "xml",
    "externalDocs",
    "readOnly",
    "writeOnly",
    "discriminator",
    "title",
    "nullable",
    "default",
}
_SCHEMA_LISTS = ("allOf", "oneOf", "anyOf")


@cache
def load_spec() -> dict[str, Any]:
    return json.loads(SPEC_PATH.read_text(encoding="utf-8"))


def convert(node: Any) -> Any:
    """One OpenAPI schema object -> a strict JSON Schema (draft 7) object."""
    if not isinstance(node, dict):
        return node
    nullable = bool(node.get("nullable"))
    if "$ref" in node:
        ref = {"$ref": node["$ref"].replace("#/components/schemas/", "#/definitions/")}
        return {"anyOf": [ref, {"type": "null"}]} if nullable else ref
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROP or key.startswith("x-"):
            continue
        if key == "properties":
            out[key] = {name: convert(sub) for name, sub in value.items()}
        elif key in ("items", "not") or (key == "additionalProperties" and isinstance(value, dict)):
            out[key] = convert(value)
        elif key in _SCHEMA_LISTS:
            out[key] = [convert(sub) for sub in value]
        else:
            out[key] = value
    if "properties" in out or "required" in out:
        properties = out.setdefault("properties", {})
        for name in out.get("required", []):
            properties.setdefault(name, {})  # the spec requires some fields it never declares (license_type)
        out.setdefault("additionalProperties", False)
    if nullable:
        if "type" in out:
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


@cache
def _definitions(deviations: tuple[Deviation, ...] = DEVIATIONS) -> dict[str, Any]:
    schemas = apply_deviations(load_spec()["components"]["schemas"], deviations)
    return {name: convert(schema) for name, schema in schemas.items()}


def component_validator(name: str, deviations: tuple[Deviation, ...] = DEVIATIONS) -> jsonschema.Draft7Validator:
    """Validator for ``#/components/schemas/<name>`` with the given deviations applied."""
    schema = {"$ref": f"#/definitions/{name}", "definitions": _definitions(deviations)}
    return jsonschema.Draft7Validator(schema)


def response_validator(
    spec_path: str, deviations: tuple[Deviation, ...] = DEVIATIONS, status: str = "200"
) -> jsonschema.Draft7Validator:
    """Validator for the JSON body of ``GET <spec_path>`` (e.g. ``/conversations/{conversation_id}``)."""
    spec = load_spec()
    response = spec["paths"][spec_path]["get"]["responses"][status]
    if "$ref" in response:
        response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    body = convert(response["content"]["application/json"]["schema"])
    body["definitions"] = _definitions(deviations)
    return jsonschema.Draft7Validator(body)


def errors(validator: jsonschema.Draft7Validator, instance: Any, limit: int = 3) -> list[str]:
    """Readable validation errors (path: message), at most ``limit``."""
    out = []
    for error in validator.iter_errors(instance):
        location = "/".join(str(p) for p in error.absolute_path)
        out.append(f"{location}: {error.message[:300]}")
        if len(out) >= limit:
            break
    return out
