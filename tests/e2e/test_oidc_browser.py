# SPDX-License-Identifier: Apache-2.0
"""The authorization code flow in a real, headless Chromium (docs/oidc.md): the
browser opens /oauth2/authorize, the hosted login page is filled and submitted, and
the browser lands on the client's redirect_uri (a small HTTP server of this test)
with a code that then exchanges for tokens. Saves a screenshot of the login page as
docs/img/login.png. Debian's chromium, chromium-driver and python3-selenium
(mk/deps.sh); skipped when they are missing."""
import http.server
import os
import threading
import urllib.parse

import pytest

from harness.browser import chromium

from admin_helpers import FAST
from oidc_helpers import add_web_client, exchange, pkce

SCREENSHOT = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "img",
                          "login.png")


class Callback(http.server.BaseHTTPRequestHandler):
    """The client's redirect_uri: remembers the query it was called with."""
    seen = []

    def do_GET(self):  # noqa: N802 - http.server's name
        if self.path.startswith("/cb"):        # not /favicon.ico
            Callback.seen.append(self.path)
        body = b"<!doctype html><title>app</title><p id=done>back in the app</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def callback():
    s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Callback)
    threading.Thread(target=s.serve_forever, daemon=True).start()
    Callback.seen = []
    yield f"http://127.0.0.1:{s.server_address[1]}/cb"
    s.shutdown()
    s.server_close()


@pytest.fixture
def browser():
    with chromium("--window-size=480,640") as drv:
        yield drv


@pytest.mark.sqlite_only
def test_chromium_logs_in_on_the_hosted_page_and_lands_on_the_app(make_server, callback,
                                                                  browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    srv = make_server(FAST)
    # registered without a port: a loopback IP redirect URI matches any (RFC 8252)
    client = add_web_client(srv, redirect_uris=("http://127.0.0.1/cb",),
                            name="Example App")
    # fixed names, so the screenshot only changes when the page does
    user = srv.add_user(email="alice@example.com", username="alice", name="Alice",
                        password="correct horse battery staple")
    verifier, challenge = pkce()
    q = urllib.parse.urlencode({
        "client_id": client["client_id"], "redirect_uri": callback,
        "response_type": "code", "scope": "profile", "state": "chromium-state",
        "code_challenge": challenge, "code_challenge_method": "S256",
        "login_hint": user.email})
    browser.get(srv.url + "/oauth2/authorize?" + q)
    field = WebDriverWait(browser, 10).until(
        ec.presence_of_element_located((By.ID, "password")))
    # the label is tied to its input, the hint prefilled, the login field focused
    assert browser.find_element(By.CSS_SELECTOR, "label[for=login]").text
    assert browser.find_element(By.ID, "login").get_attribute("value") == user.email
    assert browser.switch_to.active_element.get_attribute("id") == "login"
    # the stylesheet loaded under the page's CSP (style-src 'self')
    assert browser.execute_script(
        "return getComputedStyle(document.querySelector('button')).backgroundColor"
    ) == "rgb(29, 78, 216)"
    field.send_keys(user.password)
    os.makedirs(os.path.dirname(SCREENSHOT), exist_ok=True)
    browser.save_screenshot(SCREENSHOT)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(browser, 10).until(ec.presence_of_element_located((By.ID, "done")))

    assert browser.current_url.startswith(callback + "?")
    params = urllib.parse.parse_qs(urllib.parse.urlsplit(browser.current_url).query)
    assert params["state"] == ["chromium-state"] and params["iss"] == [srv.url]
    code = params["code"][0]
    srv.secrets.add(code)
    assert len(Callback.seen) == 1
    # the browser keeps the session cookie; JavaScript cannot read it (HttpOnly)
    cookies = {c["name"]: c for c in browser.get_cookies()}
    assert cookies["tessera_session"]["httpOnly"] is True
    assert cookies["tessera_session"]["sameSite"] == "Lax"
    srv.secrets.add(cookies["tessera_session"]["value"])
    t = exchange(srv, client, code, verifier, redirect_uri=callback)
    assert t.status_code == 200, t.text
    srv.track(t.json())
    assert srv.profile(t.json()["access_token"]).json()["email"] == user.email
    # a second authorization goes straight back: single sign-on
    browser.get(srv.url + "/oauth2/authorize?" + q)
    WebDriverWait(browser, 10).until(ec.presence_of_element_located((By.ID, "done")))
    assert len(Callback.seen) == 2 and "code=" in Callback.seen[1]
    srv.secrets.add(urllib.parse.parse_qs(
        urllib.parse.urlsplit(Callback.seen[1]).query)["code"][0])
