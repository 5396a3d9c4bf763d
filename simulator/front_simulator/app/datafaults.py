"""Data-level faults, applied where the records are: corrupted records, pages that repeat the end of the
previous one, records that change while a listing is paged (response-level faults live in gateway.py)."""

from __future__ import annotations

import random
from typing import Any

import msgspec
from fastapi import Request

from front_simulator.faults import BAD_RECORD_VARIANTS, FaultRule
from front_simulator.state import MutationError, SimulatorState

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode


def data_faults(request: Request, kind: str) -> list[FaultRule]:
    return [rule for rule in request.scope.get("front_faults", ()) if rule.kind == kind]


def corrupt(record: dict[str, Any], variant: str, rng: random.Random) -> dict[str, Any]:
    """Break one record the way real feeds do."""
    if variant == "missing_id":
        record.pop("id", None)
    elif variant == "wrong_types":
        record["id"] = rng.randrange(10**9)
        for key in ("updated_at", "created_at", "emitted_at", "posted_at"):
            if key in record:
                record[key] = str(record[key])
        for key in ("name", "subject", "body"):
            if key in record:
                record[key] = rng.choice((12345, True, ["not", "a", "string"]))
        if "handles" in record:
            record["handles"] = "not-a-list"
    elif variant == "nul_chars":
        for key in ("name", "subject", "body", "description"):
            if isinstance(record.get(key), str):
                record[key] = record[key][:3] + "\u0000" + record[key][3:] + "\x00"
        record.setdefault("name", "nul\u0000name")
    elif variant == "huge":
        key = "body" if "body" in record else "description"
        record[key] = "<p>" + ("x" * 1023 + "\n") * 5 * 1024 + "</p>"  # ~5 MB in one record
    elif variant == "event_preview" and isinstance(record.get("target"), dict):
        data = record["target"].get("data")
        if isinstance(data, dict):  # only the target's id and links, as Front's reference describes targets
            record["target"]["data"] = {key: data[key] for key in ("_links", "id") if key in data}
    elif variant == "unknown_fields":
        record["x_new_field"] = {"nested": [1, 2, {"deep": None}], "added": "2027-01-01"}
        record["_experimental"] = True
    return record


def apply_record_faults(request: Request, state: SimulatorState, parts: list[bytes]) -> list[bytes]:
    rules = data_faults(request, "bad_records")
    if not rules or not parts:
        return parts
    parts = list(parts)
    for rule in rules:
        for index in state.faults.pick(list(range(len(parts))), rule.count):
            variant = rule.variant
            if variant == "random":
                variant = BAD_RECORD_VARIANTS[int(state.faults.random() * len(BAD_RECORD_VARIANTS))]
            rng = random.Random(index)
            parts[index] = _encode(corrupt(_decode(parts[index]), variant, rng))
    return parts


def rewind_for(request: Request) -> int:
    return sum(rule.count for rule in data_faults(request, "duplicates"))


def mutate_while_paging(request: Request, state: SimulatorState, action: str, ids: list[str] | None = None) -> None:
    for rule in data_faults(request, "mutate_during_paging"):
        try:
            state.mutate(action, {"count": rule.count} if ids is None else {"ids": ids})
        except MutationError:
            pass
