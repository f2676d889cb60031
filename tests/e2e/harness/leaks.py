# SPDX-License-Identifier: Apache-2.0
"""No secrets in the log: the passwords, tokens and client secrets a test used are
collected in a set (a server's `secrets`, shared by the servers of a test); after the
test, find_leaks() looks for each of them, and for a token's signature alone, in every
server's stderr and stdout."""
from .cli import BOOTSTRAP_LINE

# Fields that carry secrets, in request bodies and in responses.
SECRET_REQUEST_FIELDS = ("password", "current_password", "new_password")
SECRET_RESPONSE_FIELDS = ("access_token", "refresh_token", "refreshToken", "token")
# Form fields of the OAuth 2 endpoints (docs/oauth2.md) that carry secrets.
SECRET_FORM_FIELDS = ("password", "client_secret", "refresh_token", "token",
                      "access_token")


def track_json(secrets, obj):
    """Adds every secret-looking value of a JSON body (request or response) to
    `secrets`."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k in SECRET_REQUEST_FIELDS + SECRET_RESPONSE_FIELDS and \
                    isinstance(v, str) and len(v) >= 6:
                secrets.add(v)
            else:
                track_json(secrets, v)
    elif isinstance(obj, list):
        for v in obj:
            track_json(secrets, v)


def track_form(secrets, pairs):
    """Adds the secret fields of a form body, (name, value) pairs, to `secrets`."""
    for k, v in pairs:
        if k in SECRET_FORM_FIELDS and isinstance(v, str) and len(v) >= 6:
            secrets.add(v)


def find_leaks(servers, secrets):
    """Messages for every secret (or a JWS's signature alone) found in the stderr or
    stdout of `servers`."""
    leaks = []
    for s in servers:
        err, out = s.process.output()
        text = "\n".join(err)
        # stdout may show the generated bootstrap password once, by design
        out = "\n".join(line for line in out if not BOOTSTRAP_LINE.match(line))
        for secret in list(secrets):
            needles = {secret}
            if secret.count(".") == 2:          # a JWS: its signature alone is a leak too
                needles.add(secret.rsplit(".", 1)[1])
            for n in needles:
                if len(n) >= 8 and (n in text or n in out):
                    where = "stderr" if n in text else "stdout"
                    leaks.append(f"{where} of {s.workdir} contains a secret "
                                 f"({n[:6]}...)")
    return sorted(set(leaks))


def new_leaks(server):
    """find_leaks() for one shared server, each leak reported once."""
    seen = server.__dict__.setdefault("_reported_leaks", set())
    out = [x for x in find_leaks([server], server.secrets) if x not in seen]
    seen.update(out)
    return out
