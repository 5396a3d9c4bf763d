"""Issue 20 item 4: FrontHook stands on HttpHook's public surface only, so a provider upgrade that changes
HttpHook's private members cannot break it silently; these tests fail on an upgrade that changes what it uses."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from airflow.providers.http.hooks.http import HttpHook

from front_sync.hooks import front
from front_sync.hooks.front import FrontHook

SOURCE = Path(front.__file__)


def _http_hook_private_names() -> set[str]:
    """Private (single-underscore) attributes and methods of a plain HttpHook, class and instance."""
    names = set(dir(HttpHook)) | set(vars(HttpHook(method="GET")))
    return {n for n in names if n.startswith("_") and not n.startswith("__")}


def test_item4_front_hook_neither_overrides_nor_touches_a_private_member_of_http_hook():
    private = _http_hook_private_names()
    touched = {
        node.attr
        for node in ast.walk(ast.parse(SOURCE.read_text()))
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "self"
        and node.attr.startswith("_")
        and not node.attr.startswith("__")
    }
    overridden = {name for name in vars(FrontHook) if name in private}
    assert not (touched & private) and not overridden, (sorted(touched & private), sorted(overridden))


def test_item4_the_public_surface_front_hook_uses_is_there():
    hook = HttpHook(method="GET")
    assert isinstance(hook.base_url, str)
    assert list(inspect.signature(HttpHook.url_from_endpoint).parameters) == ["self", "endpoint"]
    assert isinstance(HttpHook.auth_type, property) and isinstance(HttpHook.default_headers, dict)
    assert callable(HttpHook.get_connection)
    hook.base_url = "https://acme.api.frontapp.com"
    assert hook.url_from_endpoint("/contacts") == "https://acme.api.frontapp.com/contacts"
