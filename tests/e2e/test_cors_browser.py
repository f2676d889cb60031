# SPDX-License-Identifier: Apache-2.0
"""CORS in a real browser (docs/api.md "CORS"): a page served from another origin logs
in with fetch() in headless Chromium when its origin is listed, and its fetch fails when
it is not. Debian's chromium, chromium-driver and python3-selenium (mk/deps.sh); skipped
when they are missing."""
import http.server
import threading

import pytest

from harness.browser import chromium


PAGE = b"<!doctype html><title>app</title><p>app</p>"

# Runs in the page: logs in and reports what the page could see.
LOGIN_JS = """
const [url, username, password, done] = arguments;
fetch(url + "/v1/auth/login", {
  method: "POST", headers: {"Content-Type": "application/json"},
  body: JSON.stringify({username, password}),
}).then(async r => done({status: r.status, body: await r.json(),
                         request_id: r.headers.get("X-Request-Id")}))
  .catch(e => done({error: String(e)}));
"""


class Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args):
        pass


@pytest.fixture
def pages():
    """Two page origins, http://127.0.0.1:PORT each (another origin than tessera's)."""
    servers = [http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page) for _ in range(2)]
    for s in servers:
        threading.Thread(target=s.serve_forever, daemon=True).start()
    yield [f"http://127.0.0.1:{s.server_address[1]}" for s in servers]
    for s in servers:
        s.shutdown()
        s.server_close()


@pytest.fixture
def browser():
    with chromium() as drv:
        yield drv


@pytest.mark.sqlite_only
def test_a_page_on_a_listed_origin_logs_in_and_another_cannot(make_server, pages,
                                                              browser):
    allowed, other = pages
    s = make_server({"cors.allowed_origins": allowed,
                     "passwords.argon2_memory_kib": 1024,
                     "passwords.argon2_iterations": 1})
    u = s.add_user()

    browser.get(allowed + "/")
    got = browser.execute_async_script(LOGIN_JS, s.url, u.username, u.password)
    assert got.get("status") == 200, got
    s.secrets.update(got["body"][k] for k in ("access_token", "refresh_token"))
    assert got["body"]["token_type"] == "Bearer"
    assert got["request_id"], got          # exposed (Access-Control-Expose-Headers)
    # A failed login's 401 and its body reach the page too.
    got = browser.execute_async_script(LOGIN_JS, s.url, u.username, "wrong-password")
    assert got.get("status") == 401 and got["body"]["error"] == "invalid_credentials", got

    browser.get(other + "/")
    got = browser.execute_async_script(LOGIN_JS, s.url, u.username, u.password)
    assert "error" in got and "status" not in got, got     # the browser refused it
