# SPDX-License-Identifier: Apache-2.0
"""A headless Chromium driven by Selenium (Debian's chromium, chromium-driver and
python3-selenium, mk/deps.sh), for the tests of pages in a real browser: a fresh
profile each time, nothing fetched from the network. Skips the test when one of the
three is missing."""
import contextlib
import shutil
import tempfile

import pytest

CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage")


@contextlib.contextmanager
def chromium(*extra_flags, timeout=20):
    """A Selenium Chrome driver on a temporary profile; quit and removed afterwards.
    `timeout` bounds page loads and asynchronous scripts (seconds)."""
    if not CHROMIUM or not DRIVER:
        pytest.skip("chromium and chromium-driver are not installed (mk/deps.sh)")
    webdriver = pytest.importorskip("selenium.webdriver",
                                    reason="python3-selenium is not installed")
    from selenium.webdriver.chrome.service import Service
    profile = tempfile.mkdtemp(prefix="tessera-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in (*FLAGS, *extra_flags, f"--user-data-dir={profile}"):
        opts.add_argument(flag)
    drv = None
    try:
        drv = webdriver.Chrome(service=Service(executable_path=DRIVER), options=opts)
        drv.set_page_load_timeout(timeout)
        drv.set_script_timeout(timeout)
        yield drv
    finally:
        if drv is not None:
            drv.quit()
        shutil.rmtree(profile, ignore_errors=True)
