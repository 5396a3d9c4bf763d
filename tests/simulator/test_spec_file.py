"""Front's spec lives in the repository, unmodified: its checksum matches the recorded one and SOURCE.md's."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

from front_simulator.spec_schema import REPO, SPEC_DIR, SPEC_PATH, load_spec


def test_the_spec_in_the_repository_matches_its_recorded_checksum():
    recorded, name = (SPEC_DIR / "core-api.json.sha256").read_text().split()
    assert name == SPEC_PATH.name
    assert hashlib.sha256(SPEC_PATH.read_bytes()).hexdigest() == recorded, (
        "simulator/spec/core-api.json differs from its recorded checksum: never edit it; take a newer copy with "
        "`make update-spec` (simulator/spec/SOURCE.md)"
    )
    assert recorded in (SPEC_DIR / "SOURCE.md").read_text()


def test_the_spec_loads_as_openapi_3_with_its_paths():
    spec = load_spec()
    assert spec["openapi"].startswith("3.")
    assert "/conversations/{conversation_id}/messages" in spec["paths"]


def test_update_script_copies_a_newer_spec_and_records_it(tmp_path):
    # A copy of the repository's spec folder, so the real one is never touched.
    work = tmp_path / "repo"
    (work / "simulator").mkdir(parents=True)
    (work / "scripts").mkdir()
    subprocess.run(["cp", "-r", str(SPEC_DIR), str(work / "simulator" / "spec")], check=True)
    (work / "scripts" / "update_front_spec.py").write_text((REPO / "scripts" / "update_front_spec.py").read_text())
    newer = tmp_path / "core-api.json"
    spec = json.loads(SPEC_PATH.read_text())
    spec["paths"]["/new-endpoint"] = {}
    newer.write_text(json.dumps(spec))

    out = subprocess.run(
        [sys.executable, str(work / "scripts" / "update_front_spec.py"), str(newer), "abc123"],
        capture_output=True,
        text=True,
    )

    assert out.returncode == 0, out.stderr
    copied = work / "simulator" / "spec" / "core-api.json"
    assert copied.read_bytes() == newer.read_bytes()
    digest = hashlib.sha256(newer.read_bytes()).hexdigest()
    assert (work / "simulator" / "spec" / "core-api.json.sha256").read_text().split()[0] == digest
    source = (work / "simulator" / "spec" / "SOURCE.md").read_text()
    assert f"`{digest}`" in source and "`abc123`" in source and "148 paths" in source


def test_update_script_refuses_a_file_that_is_not_an_openapi_document(tmp_path):
    bad = tmp_path / "core-api.json"
    bad.write_text('{"hello": "world"}')
    out = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "update_front_spec.py"), str(bad), "abc"],
        capture_output=True,
        text=True,
    )
    assert out.returncode != 0 and "not an OpenAPI 3 document" in out.stderr
    assert hashlib.sha256(SPEC_PATH.read_bytes()).hexdigest() in (SPEC_DIR / "core-api.json.sha256").read_text()
