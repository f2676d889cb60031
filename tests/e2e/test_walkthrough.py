# SPDX-License-Identifier: Apache-2.0
"""The README's walkthrough, end to end: user add, login, profile, refresh, logout,
401, and an independent verification of the token against the JWKS; and the README's
shell blocks themselves, run as written against a test server."""
import json
import os
import re
import shlex
import subprocess

from harness.cli import BOOTSTRAP_PASSWORD, base_env
from harness.suite import BIN

README = os.path.join(os.path.dirname(__file__), "..", "..", "README.md")

import jwt
from jwcrypto import jwk as jc_jwk, jwt as jc_jwt


def test_readme_walkthrough(server):
    alice = server.add_user(email="alice@example.com", username="alice", name="Alice")
    first = server.login(alice)
    assert first.body["token_type"] == "Bearer"
    assert first.body["expires_in"] == 900
    assert first.header["typ"] == "at+jwt" and first.header["alg"] == "ES256"

    r = server.profile(first.access_token)
    assert r.status_code == 200
    assert r.json()["email"] == "alice@example.com"
    assert "password" not in json.dumps(r.json()).lower()

    r = server.refresh(first.refresh_token)
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["refresh_token"] != first.refresh_token
    assert r.headers["Cache-Control"] == "no-store"

    r = server.post("/v1/auth/logout", token=second["access_token"])
    assert r.status_code == 204
    r = server.profile(second["access_token"])
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_token"
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert server.refresh(second["refresh_token"]).status_code == 401


def test_tokens_verify_with_pyjwt_and_jwcrypto(server):
    bob = server.add_user()
    login = server.login(bob)
    jwks = server.jwks()
    assert all("d" not in k for k in jwks["keys"])
    key = next(k for k in jwks["keys"] if k["kid"] == login.header["kid"])

    claims = jwt.decode(login.access_token, jwt.PyJWK(key).key, algorithms=["ES256"],
                        audience="tessera", issuer=server.url)
    assert claims["sub"] == bob.id and claims["sid"]

    ks = jc_jwk.JWKSet.from_json(json.dumps(jwks))
    tok = jc_jwt.JWT(jwt=login.access_token, key=ks)
    assert json.loads(tok.claims)["jti"] == claims["jti"]


def test_reuse_after_grace_revokes_the_session(make_server):
    import time
    server = make_server({"tokens.refresh_grace": 1})
    u = server.add_user()
    login = server.login(u)
    r1 = server.refresh(login.refresh_token)
    assert r1.status_code == 200
    # inside the grace window the old token answers with the same successor
    again = server.refresh(login.refresh_token)
    assert again.status_code == 200
    assert again.json()["refresh_token"] == r1.json()["refresh_token"]
    time.sleep(1.2)
    assert server.refresh(login.refresh_token).status_code == 401
    assert server.refresh(r1.json()["refresh_token"]).status_code == 401
    assert server.profile(login.access_token).status_code == 401


def test_bad_requests_get_their_4xx(server):
    r = server.request("POST", "/v1/auth/login", data="{not json",
                       headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"
    r = server.request("POST", "/v1/auth/login", data="a=b",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 415
    r = server.get("/v1/auth/login")
    assert r.status_code == 405 and "POST" in r.headers["Allow"]
    r = server.post("/v1/auth/login", {"username": "x"})
    assert r.status_code == 400
    r = server.get("/nope")
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    r = server.post("/v1/auth/login", {"username": "nobody", "password": "whatever-pw"})
    assert r.status_code == 401 and r.json()["error"] == "invalid_credentials"


def readme_shell_blocks():
    with open(README, encoding="utf-8") as f:
        text = f.read()
    # not the quick start (make run) nor installing the package as root (sudo): the
    # blocks a newcomer pastes against a running server
    return [b for b in re.findall(r"```sh\n(.*?)```", text, re.S)
            if "make run" not in b and "sudo " not in b]


def test_readme_shell_blocks_run_as_written(server, tmp_path):
    """Every ```sh block of the README after the quick start (curl session,
    client_credentials, admin API), run by bash with `set -eu` as a newcomer would
    paste it: a variable the README uses without setting fails here."""
    cwd = tmp_path / "walkthrough"
    cwd.mkdir()
    blocks = readme_shell_blocks()
    assert len(blocks) >= 3, blocks
    script = "\n".join(blocks)
    assert "http://127.0.0.1:8080" in script and "./build/tessera" in script
    script = (script.replace("http://127.0.0.1:8080", server.url)
                    .replace("./build/tessera", "tessera_cli")
                    .replace('"password": "..."', f'"password": "{BOOTSTRAP_PASSWORD}"'))
    cli = shlex.join([BIN]) + ' "$@" --database ' + shlex.join([server.db, *server.set_args()])
    r = subprocess.run(["bash", "-c", "set -eu -o pipefail\ntessera_cli() { " + cli +
                        "; }\n" + script], capture_output=True, text=True, timeout=120,
                       cwd=cwd, env=base_env(), stdin=subprocess.DEVNULL)
    assert r.returncode == 0, (r.returncode, r.stderr[-2000:])
    out = r.stdout
    for secret in re.findall(r'"(?:access|refresh)_token":"([^"]+)"', out):
        server.secrets.add(secret)
    assert '"email":"alice@example.com"' in out.replace(" ", ""), out
    # curl prints bodies without a newline: the answers run together
    assert "204\nHTTP/1.1 401" in out and '"error":"invalid_token"' in out, out
    cc = re.search(r'\{"access_token":"[^"]+","token_type":"Bearer","expires_in":\d+,'
                   r'"scope":"profile"\}', out)               # client_credentials
    assert cc, out
    assert '"users"' in out and "admin@localhost" in out, out
    assert os.listdir(cwd) == []               # the walkthrough cleans up after itself
