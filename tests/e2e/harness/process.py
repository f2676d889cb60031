# SPDX-License-Identifier: Apache-2.0
"""One `tessera serve` process of a test, over its runs (start, stop, start again).

Start waits up to START_TIMEOUT for `tessera: listening on http://127.0.0.1:PORT` (and,
when asked, the plain listener's line) and fails the test with the captured stderr
otherwise. Two threads read stderr and stdout into `log` and `stdout`, every line of
every run. Stop sends SIGTERM and requires exit status 0 within STOP_TIMEOUT; a
process that exited on its own, unless the test stopped it (`stopped_by_test`), fails
the test. This module knows nothing of settings or databases: it runs a command."""
import json
import re
import signal
import subprocess
import threading
import time

import pytest

START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
LISTEN_RE = re.compile(r"^tessera: listening on (https?://127\.0\.0\.1:(\d+))$")
# With tls.plain_listen, a second line names the plain HTTP listener.
PLAIN_LISTEN_RE = re.compile(r"^tessera: also listening on (http://(\S+):(\d+))$")


class ServerProcess:
    def __init__(self, workdir):
        self.workdir = workdir
        self.proc = None
        self.url = None
        self.port = None
        self.plain_url = None
        self.plain_port = None
        self.log = []           # every stderr line of every run of this server
        self.stdout = []
        self.stopped_by_test = False
        self._cond = threading.Condition()
        self._threads = []

    def _reader(self, stream, sink):
        for line in iter(stream.readline, ""):
            with self._cond:
                sink.append(line.rstrip("\n"))
                self._cond.notify_all()
        stream.close()

    def start(self, cmd, env, want_plain=False):
        """Runs `cmd` (argv) with `env` in the work directory and waits for its listening
        line (and the plain listener's, with want_plain); sets url and port."""
        assert self.proc is None or self.proc.poll() is not None, "already running"
        first = len(self.log)
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env,
                                     cwd=self.workdir)
        self.stopped_by_test = False
        self._threads = [
            threading.Thread(target=self._reader, args=(self.proc.stderr, self.log),
                             daemon=True),
            threading.Thread(target=self._reader, args=(self.proc.stdout, self.stdout),
                             daemon=True)]
        for t in self._threads:
            t.start()
        deadline = time.monotonic() + START_TIMEOUT
        with self._cond:
            while True:
                main = plain = None
                for line in self.log[first:]:
                    main = main or LISTEN_RE.match(line)
                    plain = plain or PLAIN_LISTEN_RE.match(line)
                if main and (plain or not want_plain):
                    self.url, self.port = main.group(1), int(main.group(2))
                    if plain:
                        self.plain_url = plain.group(1)
                        self.plain_port = int(plain.group(3))
                    return
                if self.proc.poll() is not None:
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(min(left, 0.1))
        rc = self.proc.poll()
        if rc is None:
            self.proc.kill()
            self.proc.wait()
        for t in self._threads:
            t.join(2)
        pytest.fail(f"server did not print 'tessera: listening on ...' within "
                    f"{START_TIMEOUT:.0f}s (exit status {rc}); command {cmd}\nstderr:\n"
                    + "\n".join(self.log[first:]), pytrace=False)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM; asserts exit status 0 within `timeout` seconds."""
        if self.proc is None:
            return
        if self.proc.poll() is not None:
            rc = self.proc.returncode
            self._join()
            assert self.stopped_by_test, (
                f"server exited on its own with status {rc}\nstderr:\n" + self.log_text())
            return
        self.stopped_by_test = True
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self._join()
            pytest.fail(f"server did not exit within {timeout}s of SIGTERM\nstderr tail:\n"
                        + "\n".join(self.log[-30:]), pytrace=False)
        self._join()
        assert rc == 0, f"server exited with status {rc} after SIGTERM\nstderr tail:\n" + \
            "\n".join(self.log[-30:])

    def _join(self):
        for t in self._threads:
            t.join(5)

    # --- what it printed ------------------------------------------------------------
    def output(self):
        """(stderr lines, stdout lines) so far, copied while the readers wait."""
        with self._cond:
            return list(self.log), list(self.stdout)

    def log_text(self):
        with self._cond:
            return "\n".join(self.log)

    def json_log(self):
        """The stderr lines that are JSON objects, parsed."""
        out = []
        with self._cond:
            lines = list(self.log)
        for line in lines:
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict):
                out.append(obj)
        return out

    def wait_log(self, pred, timeout=5.0):
        """Waits for a JSON log line for which pred(obj) is true; returns it or None."""
        deadline = time.monotonic() + timeout
        while True:
            for obj in self.json_log():
                if pred(obj):
                    return obj
            if time.monotonic() > deadline:
                return None
            time.sleep(0.02)
