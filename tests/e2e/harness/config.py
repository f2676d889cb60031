# SPDX-License-Identifier: Apache-2.0
"""What a server under test is started with, and what its operator CLI runs with:
`--set` settings, extra environment, extra arguments (a `--config FILE` among them is
passed to the CLI too: the roles an operator may give are the configuration's)."""
from .cli import base_env
from .suite import BIN


def parse_settings(settings, kw):
    """make_server({"tokens.access_ttl": 1}) or make_server(tokens__access_ttl=1)."""
    out = dict(settings or {})
    for k, v in kw.items():
        out[k.replace("__", ".")] = v
    return out


class ServerConfig:
    def __init__(self, settings=None, env=None, args=()):
        self.settings = dict(settings or {})
        self.env = dict(env or {})
        self.args = list(args)

    def set_args(self, overrides=None):
        """`--set key=value` for each setting (booleans as true/false), `overrides`
        replacing or adding some."""
        sets = dict(self.settings)
        sets.update(overrides or {})
        out = []
        for k, v in sets.items():
            if isinstance(v, bool):
                v = "true" if v else "false"
            out += ["--set", f"{k}={v}"]
        return out

    def wants_plain_listener(self):
        """tls.plain_listen: the server prints a second listening line."""
        return bool(self.settings.get("tls.plain_listen"))

    def serve_argv(self, db):
        return [BIN, "serve", "--listen", "127.0.0.1:0", "--database", db,
                *self.set_args(), *self.args]

    def cli_args(self, db, settings=None):
        """What follows an operator command's own arguments: the database, the config
        file when the server has one, and the settings (updated by `settings`)."""
        config = []
        if "--config" in self.args[:-1]:
            config = ["--config", self.args[self.args.index("--config") + 1]]
        return ["--database", db, *config, *self.set_args(settings)]

    def environ(self, extra=None):
        """The process environment: base_env() with this server's variables and
        `extra`."""
        e = dict(self.env)
        e.update(extra or {})
        return base_env(e)
