# SPDX-License-Identifier: Apache-2.0
"""Users and clients a test makes through the operator CLI (`user add`, `client add`),
and what a login gives back. Accounts is a mixin of Server: it needs `cli_ok()` and
`secrets`, and adds every password and client secret it makes to `secrets`."""
import json
import secrets as _secrets
from dataclasses import dataclass, field


@dataclass
class User:
    id: str
    email: str
    username: str
    name: str
    roles: list
    password: str


@dataclass
class Login:
    """A successful login: the tokens and the whole body."""
    body: dict
    access_token: str
    refresh_token: str = None
    claims: dict = field(default_factory=dict)
    header: dict = field(default_factory=dict)

    @property
    def sid(self):
        return self.claims.get("sid")


def client_flags(opts):
    """`tessera client add` options from keywords: id, grants, scopes, roles,
    auth_method, public, access_ttl, refresh_ttl, idle_ttl, rotation, disabled,
    audiences."""
    names = {"id": "--id", "grants": "--grants", "scopes": "--scopes",
             "roles": "--roles", "auth_method": "--auth-method",
             "access_ttl": "--access-ttl", "refresh_ttl": "--refresh-ttl",
             "idle_ttl": "--idle-ttl", "refresh_idle_ttl": "--idle-ttl",
             "rotation": "--rotation",
             "tls_subject_dn": "--tls-subject-dn", "tls_thumbprint": "--tls-thumbprint",
             "audiences": "--audiences"}
    out = []
    for k, v in opts.items():
        if k in ("public", "disabled"):
            if v:
                out.append("--" + k)
            continue
        if k not in names:
            raise TypeError(f"add_client: unknown option {k!r}")
        if v is None:
            continue
        if isinstance(v, (list, tuple, set)):
            v = (" " if k == "scopes" else ",").join(v)
        elif isinstance(v, bool):
            v = "on" if v else "off"
        out += [names[k], str(v)]
    return out


class Accounts:
    def add_user(self, email=None, username=None, name=None, roles=("user",),
                 password=None, settings=None):
        """`tessera user add --password-stdin` with fresh values for what is not given;
        returns the User."""
        tag = _secrets.token_hex(4)
        if email is None:
            email = f"user-{tag}@example.com"
        if username is None:
            username = f"user_{tag}"
        if name is None:
            name = f"User {tag}"
        if password is None:
            password = "pw-" + _secrets.token_urlsafe(12)
        self.secrets.add(password)
        args = ["user", "add", "--email", email]
        if username:
            args += ["--username", username]
        if name:
            args += ["--name", name]
        if roles is not None:
            args += ["--roles", ",".join(roles)]
        args.append("--password-stdin")
        r = self.cli_ok(*args, input=password + "\n", settings=settings)
        uid = r.stdout.strip()
        assert uid and "\n" not in uid, f"user add printed {r.stdout!r}, not one id"
        return User(uid, email, username, name, list(roles or []), password)

    def add_client(self, name, **opts):
        """`tessera client add NAME ...` against this server's database; returns the
        printed JSON (with `client_secret` for confidential clients, which is added to
        `secrets`). Options: see client_flags()."""
        r = self.cli_ok("client", "add", name, *client_flags(opts))
        try:
            c = json.loads(r.stdout)
        except ValueError:
            raise AssertionError(f"client add printed {r.stdout!r}, not JSON") from None
        assert isinstance(c, dict) and isinstance(c.get("client_id"), str), c
        if c.get("client_secret"):
            self.secrets.add(c["client_secret"])
        return c
