# SPDX-License-Identifier: Apache-2.0
"""Running the tessera binary once, as an operator or a test would: the environment
it gets (none of the caller's TESSERA_* variables, the session's bootstrap password)
and the bootstrap line it may print."""
import os
import re
import secrets
import subprocess

from .suite import BIN

# The bootstrap admin's password of this test session (TESSERA_BOOTSTRAP_PASSWORD).
BOOTSTRAP_PASSWORD = "bootstrap-" + secrets.token_urlsafe(12)
BOOTSTRAP_LINE = re.compile(r"^tessera: created user admin with password (\S+) "
                            r"\(shown once; change it\)$")


def base_env(extra=None):
    """The environment of a tessera process: ours without TESSERA_*, plus the bootstrap
    password, plus `extra` (a None value removes the variable)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TESSERA_")}
    env["TESSERA_BOOTSTRAP_PASSWORD"] = BOOTSTRAP_PASSWORD
    if extra:
        for k, v in extra.items():
            if v is None:
                env.pop(k, None)
            else:
                env[k] = v
    return env


def run_bin(*args, input=None, env=None, timeout=60, cwd=None):
    """Runs the binary once (no --database added); returns CompletedProcess."""
    return subprocess.run([BIN, *map(str, args)], input=input, capture_output=True,
                          text=True, timeout=timeout, env=env or base_env(), cwd=cwd,
                          stdin=None if input is not None else subprocess.DEVNULL)
