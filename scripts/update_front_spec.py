"""Take a newer copy of Front's Core API spec into simulator/spec/, unmodified, and record where it came from.

Usage: update_front_spec.py NEW_CORE_API_JSON COMMIT
Checks that the file is an OpenAPI 3 document with paths, copies it byte for byte, rewrites core-api.json.sha256
and the table of simulator/spec/SOURCE.md (commit, git blob, size, sha256, version, server, path count).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

SPEC_DIR = Path(__file__).resolve().parents[1] / "simulator" / "spec"


def _facts(data: bytes, commit: str) -> dict[str, str]:
    """The SOURCE.md table's values for this file."""
    spec = json.loads(data)
    if not str(spec.get("openapi", "")).startswith("3.") or not spec.get("paths"):
        raise SystemExit("not an OpenAPI 3 document with paths: refusing to replace the spec")
    blob = subprocess.run(["git", "hash-object", "--stdin"], input=data, capture_output=True, check=True).stdout
    servers = ", ".join(f"`{s['url']}`" for s in spec.get("servers", []))
    return {
        "commit": f"`{commit}`",
        "git blob": f"`{blob.decode().strip()}`",
        "size": f"{len(data):,} bytes",
        "sha256": f"`{hashlib.sha256(data).hexdigest()}` (also in `core-api.json.sha256`)",
        "declares": f"`info.version` {spec.get('info', {}).get('version')}, server {servers}, "
        f"{len(spec['paths'])} paths",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", type=Path, help="the new core-api.json")
    parser.add_argument("commit", help="the frontapp/front-api-specs commit it comes from")
    args = parser.parse_args(argv)
    data = args.spec.read_bytes()
    facts = _facts(data, args.commit)
    (SPEC_DIR / "core-api.json").write_bytes(data)
    (SPEC_DIR / "core-api.json.sha256").write_text(f"{hashlib.sha256(data).hexdigest()}  core-api.json\n")
    source = SPEC_DIR / "SOURCE.md"
    text = source.read_text(encoding="utf-8")
    for key, value in facts.items():
        text, found = re.subn(rf"^\| {re.escape(key)} \|.*\|$", f"| {key} | {value} |", text, flags=re.M)
        if not found:
            raise SystemExit(f"SOURCE.md has no '{key}' row: fix its table by hand")
    source.write_text(text, encoding="utf-8")
    print(f"simulator/spec/core-api.json <- {args.spec} ({facts['size']}, {facts['declares']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
