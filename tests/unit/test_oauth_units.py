"""Issue 23, the pieces of OAuth that need no server: the connection shape, the token encryption, the refresh
decision (margin capped at half the lifetime, single-flight through the store), the headless code parsing."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from front_sync.estimate.oauth_cli import code_from
from front_sync.hooks.errors import FrontAuthError, FrontConfigError
from front_sync.hooks.oauth import FrontOAuthReconnect, TokenCipher, TokenGrant, TokenSource
from front_sync.hooks.settings import HookSettings


def conn(extra, login="client-1", password="secret-1"):
    return SimpleNamespace(
        password=password, login=login, host="https://api2.frontapp.com", schema=None, port=None, extra_dejson=extra
    )


def test_the_oauth_connection_shape_and_its_errors():
    settings = HookSettings.from_connection(conn({"auth": "oauth"}), "front_default")
    assert settings.oauth and settings.client_id == "client-1" and settings.oauth_url == "https://app.frontapp.com"
    assert settings.oauth_refresh_margin_seconds == 300 and "secret-1" not in repr(settings)
    with pytest.raises(FrontAuthError, match="client id in its login"):
        HookSettings.from_connection(conn({"auth": "oauth"}, login=""), "front_default")
    with pytest.raises(FrontConfigError, match="extra 'auth' must be one of token, oauth"):
        HookSettings.from_connection(conn({"auth": "basic"}), "front_default")
    static = HookSettings.from_connection(conn({}), "front_default")  # unchanged: the password is the token
    assert not static.oauth and static.token == "secret-1" and "secret-1" not in repr(static)


def test_tokens_are_sealed_per_secret_and_connection():
    cipher = TokenCipher("secret-1", "front_default")
    blob = cipher.seal("oat_abc")
    assert b"oat_abc" not in blob and cipher.open(blob, "front_default", "http://x/front-sync/") == "oat_abc"
    for other in (TokenCipher("secret-2", "front_default"), TokenCipher("secret-1", "front_other")):
        with pytest.raises(FrontOAuthReconnect, match="reconnect Front at http://x/front-sync/"):
            other.open(blob, "front_default", "http://x/front-sync/")
    assert cipher.fingerprint("ort_1") != cipher.fingerprint("ort_2") and "ort_1" not in cipher.fingerprint("ort_1")


class OneRowStore:
    """The TokenStore protocol in memory: a lock stands in for the row lock."""

    def __init__(self, cipher, seconds_left, lifetime):
        self.lock = threading.Lock()
        self.row = [cipher.seal("oat_0"), cipher.seal("ort_0"), seconds_left, lifetime, 1, "connected", None]
        self.retired = []

    def read(self, key):
        return tuple(self.row)

    def renew(self, key, decide):
        with self.lock:
            renewal = decide(tuple(self.row))
            if renewal is not None:
                self.retired.append(renewal.retired_fingerprint)
                self.row[:5] = [renewal.access, renewal.refresh, renewal.lifetime, renewal.lifetime, self.row[4] + 1]
            return tuple(self.row)


class CountingClient:
    conn_id, reconnect_url = "front_default", "http://x/front-sync/"

    def __init__(self):
        self.sent = []

    def refresh(self, refresh_token):
        self.sent.append(refresh_token)
        n = len(self.sent)
        return TokenGrant(f"oat_{n}", f"ort_{n}", 20.0)


@pytest.mark.parametrize("seconds_left, refreshes", [(11.0, 0), (9.0, 1)], ids=["fresh", "within-half-life"])
def test_the_margin_is_capped_at_half_the_lifetime(seconds_left, refreshes):
    """A 300 s margin on a 20 s token would refresh on every call: the margin is at most half the lifetime."""
    cipher = TokenCipher("secret-1", "front_default")
    store, client = OneRowStore(cipher, seconds_left, 20.0), CountingClient()
    source = TokenSource("front_default", store, client, cipher, margin=300.0, clock=lambda: 0.0)
    assert source.access_token() == ("oat_1" if refreshes else "oat_0") and len(client.sent) == refreshes


def test_threads_of_one_process_refresh_once_and_a_401_on_an_old_token_reads_the_new_one():
    cipher = TokenCipher("secret-1", "front_default")
    store, client = OneRowStore(cipher, 0.0, 20.0), CountingClient()
    sources = [TokenSource("front_default", store, client, cipher, margin=5.0, clock=lambda: 0.0) for _ in range(8)]
    threads = [threading.Thread(target=s.access_token) for s in sources]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert client.sent == ["ort_0"] and store.retired == [cipher.fingerprint("ort_0")]
    sources[0].after_unauthorized("Bearer oat_0")  # a request sent with the old token: no second refresh
    assert client.sent == ["ort_0"] and sources[0].access_token() == "oat_1"


@pytest.mark.parametrize(
    "answer, code",
    [
        ("code_1", "code_1"),
        ("https://af.example/front-sync-oauth/callback?code=code_2&state=S1", "code_2"),
        ("?code=code_3&state=S1", "code_3"),
    ],
)
def test_the_headless_connect_takes_a_code_or_the_redirect_url(answer, code):
    assert code_from(answer, "S1") == code


@pytest.mark.parametrize(
    "answer, problem",
    [
        ("https://af.example/cb?code=c&state=other", "state"),
        ("https://af.example/cb?error=access_denied&state=S1", "not approved"),
        ("", "no code"),
    ],
)
def test_the_headless_connect_refuses_a_foreign_state_or_a_refusal(answer, problem):
    with pytest.raises(ValueError, match=problem):
        code_from(answer, "S1")
