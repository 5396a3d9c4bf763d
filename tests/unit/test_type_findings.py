"""Bugs the type checker found when `make lint` started running mypy over include/ and plugins/ (issue 20,
"Lint that checks types and format"): each test fails on the code before its fix."""

from __future__ import annotations

import argparse
import json

import pytest
import requests

from front_sync.config import CONFIG_VARIABLE
from front_sync.estimate import cli
from front_sync.hooks import cassette
from front_sync.hooks.front import FrontHook


def test_issue20_the_estimate_cli_reads_the_sync_config_variable_when_no_config_is_given(monkeypatch):
    """`front-sync estimate --conn-id ...` without --sync-config called Airflow's Variable.get with a keyword it
    does not take (default=), so it failed with a TypeError before sampling anything."""
    monkeypatch.setenv(f"AIRFLOW_VAR_{CONFIG_VARIABLE.upper()}", json.dumps({"batch_pages": 7}))
    config = cli._sync_config(argparse.Namespace(sync_config=None, base_url=None))
    assert config.batch_pages == 7


def test_issue20_a_bearer_header_given_as_bytes_is_still_read_by_the_cassette():
    """requests accepts header values as bytes; reading one as text raised a TypeError in the recorder."""
    request = requests.Request(
        "GET", "https://api2.frontapp.com/contacts", headers={"Authorization": b"Bearer tok-bytes"}
    ).prepare()
    assert cassette._token_of(request) == "tok-bytes"


def test_issue20_front_hook_get_conn_refuses_httphooks_per_call_headers_with_a_clear_error(monkeypatch):
    """FrontHook.get_conn keeps HttpHook's signature (a caller of the base class's API gets a clear refusal, not
    an unexpected-keyword TypeError): the hook's session is shared by every request, so per-call headers are out."""
    monkeypatch.setenv(
        "AIRFLOW_CONN_FRONT_DEFAULT",
        json.dumps({"conn_type": "front", "host": "https://api2.frontapp.com", "password": "tok-unit"}),
    )
    with FrontHook() as hook:
        with pytest.raises(TypeError, match="session is shared"):
            hook.get_conn(headers={"X-Extra": "1"})
        assert isinstance(hook.get_conn(), requests.Session)
