# SPDX-License-Identifier: Apache-2.0
"""`tessera user import FILE` (SPEC sections 8 and 11, docs/cli.md): users with bcrypt
and PBKDF2 hashes from other systems log in with their old passwords, and their first
successful login replaces the hash with Argon2id."""
import base64
import hashlib
import json
import os
import secrets
import time
import warnings

import pytest

from harness.assertions import no_password_fields

BCRYPT_ALPHABET = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
SUMMARY = "imported {} users, {} failed\n"


# --- hashes as other systems make them -----------------------------------------------

def bcrypt_hash(password, prefix="$2b$", cost=4):
    """A bcrypt hash through the system's crypt(3) (libxcrypt does bcrypt), or the
    bcrypt package when the crypt module is gone (Python 3.13)."""
    # the salt's last character carries 2 bits: one of ".Oeu" keeps it canonical
    salt = "".join(secrets.choice(BCRYPT_ALPHABET) for _ in range(21)) + \
        secrets.choice(".Oeu")
    setting = f"{prefix}{cost:02d}${salt}"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import crypt
        h = crypt.crypt(password, setting)
    except ImportError:
        try:
            import bcrypt
        except ImportError:
            pytest.skip("needs Python's crypt module or python3-bcrypt")
        h = bcrypt.hashpw(password.encode(), setting.encode()).decode()
    if not h or not h.startswith(prefix) or len(h) != 60:
        pytest.skip(f"this crypt(3) does not make {prefix} bcrypt hashes")
    return h


def ab64(b):
    """passlib's adapted base64: '.' for '+', no padding."""
    return base64.b64encode(b).decode().rstrip("=").replace("+", ".")


def passlib_pbkdf2(password, digest="sha256", rounds=29000):
    salt = os.urandom(16)
    dk = hashlib.pbkdf2_hmac(digest, password.encode(), salt, rounds)
    return f"$pbkdf2-{digest}${rounds}${ab64(salt)}${ab64(dk)}"


def django_pbkdf2(password, iterations=20000):
    salt = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                  "0123456789") for _ in range(22))
    dk = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"pbkdf2_sha256${iterations}${salt}${base64.b64encode(dk).decode()}"


FORMATS = {
    "bcrypt-2b": lambda pw: bcrypt_hash(pw, "$2b$"),
    "bcrypt-2a": lambda pw: bcrypt_hash(pw, "$2a$"),
    "bcrypt-2y": lambda pw: bcrypt_hash(pw, "$2y$", cost=5),
    "pbkdf2-sha256": lambda pw: passlib_pbkdf2(pw, "sha256"),
    "pbkdf2-sha512": lambda pw: passlib_pbkdf2(pw, "sha512", 25000),
    "django-pbkdf2-sha256": django_pbkdf2,
}


# --- helpers -----------------------------------------------------------------------------

def new_password():
    return "legacy-" + secrets.token_urlsafe(12)


def stored_hash(server, email):
    rows = server.sql("SELECT password_hash FROM users WHERE email_lower = ?",
                      email.lower())
    return rows[0][0] if rows else None


def audit_rows(server, event):
    return server.sql("SELECT user_id, detail_json FROM audit_events WHERE event = ?",
                      event)


def run_import(server, lines, via_stdin=False):
    """Writes `lines` (dicts are dumped as JSON, strings go as they are) and runs
    `tessera user import`; every hash in them is a secret for the log check."""
    text = "".join((json.dumps(x) if isinstance(x, dict) else x) + "\n" for x in lines)
    for x in lines:
        if isinstance(x, dict):
            for k in ("password_hash", "hash"):
                if isinstance(x.get(k), str):
                    server.secrets.add(x[k])
    if via_stdin:
        r = server.cli("user", "import", "-", input=text)
    else:
        path = os.path.join(server.workdir, f"import-{secrets.token_hex(4)}.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        r = server.cli("user", "import", path)
    for secret in server.secrets:
        if len(secret) >= 8:
            assert secret not in r.stdout and secret not in r.stderr, \
                f"import printed a secret ({secret[:6]}...)"
    return r


def login_status(server, email, password, username=None):
    server.secrets.add(password)
    if username:
        return server.login_raw(username=username, password=password).status_code
    return server.login_raw(email=email, password=password).status_code


# --- tests ------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", list(FORMATS))
def test_imported_hash_logs_in_and_is_upgraded(server, fmt):
    password = new_password() + ("-pässwörd" if fmt == "bcrypt-2y" else "")
    legacy = FORMATS[fmt](password)
    email = f"{fmt}@example.com"
    username = fmt.replace("-", "_")
    server.secrets.add(password)
    r = run_import(server, [{"email": email, "username": username, "name": "Legacy User",
                             "roles": ["user"], "password_hash": legacy}])
    assert r.returncode == 0, r.stderr
    assert r.stdout == SUMMARY.format(1, 0)
    assert r.stderr == ""
    before = stored_hash(server, email)
    if fmt == "pbkdf2-sha512":
        # 130 characters: stored with the first 32 bytes of the checksum (docs/cli.md)
        assert len(legacy) > 128 and len(before) <= 128
        assert before.rsplit("$", 1)[0] == legacy.rsplit("$", 1)[0]
        assert legacy.rsplit("$", 1)[1].startswith(before.rsplit("$", 1)[1][:-1])
    else:
        assert before == legacy

    # a wrong password fails, and never upgrades the hash
    for wrong in ("wrong-" + password, password[:-1], password + "x", password.upper()):
        assert login_status(server, email, wrong) == 401
    assert stored_hash(server, email) == before

    # the right one logs in (by email and by username), and the first login upgrades
    assert login_status(server, email, password) == 200
    after = stored_hash(server, email)
    server.secrets.add(after)
    assert after.startswith("$argon2id$v=19$m=19456,t=2,p=1$"), after
    assert login_status(server, email, password, username=username) == 200
    assert stored_hash(server, email) == after            # no second rehash
    assert login_status(server, email, "wrong-" + password) == 401
    assert stored_hash(server, email) == after

    [(uid, detail)] = audit_rows(server, "admin.user.import")
    assert json.loads(detail) == {"via": "cli", "format": fmt.split("-")[0]
                                  if fmt.startswith("bcrypt") else fmt}
    # the server's audit writer stores events a few milliseconds after the request
    deadline = time.monotonic() + 5
    while not audit_rows(server, "password.rehash") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [row[0] for row in audit_rows(server, "password.rehash")] == [uid]


def test_bad_lines_are_reported_and_good_lines_import(server):
    existing = server.add_user(email="taken@example.com", username="taken")
    pw = {n: new_password() for n in ("a", "b", "c", "d")}
    good_a = {"email": "good-a@example.com", "username": "good_a",
              "password_hash": bcrypt_hash(pw["a"])}
    lines = [
        good_a,                                                           # 1
        '{"email": "broken@example.com", "password_hash": "$2b$04$',      # 2 bad JSON
        {"username": "nomail", "password_hash": bcrypt_hash(pw["b"])},    # 3 no email
        {"email": "md5@example.com",                                      # 4 format
         "password_hash": "$1$saltsalt$2vnaRpHa6Jxjz5n83ok8Z0"},
        {"email": "GOOD-A@example.com",                                   # 5 dup in file
         "password_hash": passlib_pbkdf2(pw["b"])},
        {"email": existing.email, "password_hash": passlib_pbkdf2(pw["b"])},  # 6 dup
        "",                                                               # 7 blank
        {"email": "good-b@example.com", "roles": "user,admin",            # 8 good
         "hash": django_pbkdf2(pw["b"])},
        {"email": "nohash@example.com"},                                  # 9
        {"email": "not-an-email", "password_hash": passlib_pbkdf2(pw["c"])},  # 10
        {"email": "cost@example.com",                                     # 11 cost 31
         "password_hash": "$2b$31$" + bcrypt_hash(pw["c"])[7:]},
        {"email": "iter@example.com",                                     # 12
         "password_hash": passlib_pbkdf2(pw["c"], rounds=1).replace("$1$", "$10000001$")},
        {"email": "key@example.com", "pasword_hash": bcrypt_hash(pw["c"])},  # 13 typo
        "[1, 2]",                                                         # 14
        {"email": "plain@example.com", "password_hash": pw["c"]},        # 15 plaintext
        {"email": "good-c@example.com", "name": "C",                      # 16 good
         "password_hash": passlib_pbkdf2(pw["d"], "sha512")},
    ]
    server.secrets.update(pw.values())
    t0 = time.monotonic()
    r = run_import(server, lines)
    assert time.monotonic() - t0 < 20, "an absurd cost was computed, not rejected"
    assert r.returncode != 0
    assert r.stdout == SUMMARY.format(3, 12)
    errors = r.stderr.strip("\n").split("\n")
    assert [e.split(":")[2].strip() for e in errors] == \
        [f"line {n}" for n in (2, 3, 4, 5, 6, 9, 10, 11, 12, 13, 14, 15)], r.stderr
    for e in errors:
        assert e.startswith("tessera: import: line "), e
    by_line = {int(e.split(":")[2].split()[1]): e for e in errors}
    assert "JSON" in by_line[2]
    assert "email" in by_line[3]
    assert "unknown password hash format" in by_line[4]
    assert "already exists" in by_line[5] and "already exists" in by_line[6]
    assert "hash" in by_line[9]
    assert "email" in by_line[10]
    assert "cost" in by_line[11]
    assert "iteration" in by_line[12]
    assert "pasword_hash" in by_line[13]
    assert "unknown password hash format" in by_line[15]

    # the good lines are users that log in; the bad ones are not users
    assert login_status(server, "good-a@example.com", pw["a"], username="good_a") == 200
    assert login_status(server, "good-b@example.com", pw["b"]) == 200
    assert login_status(server, "good-c@example.com", pw["d"]) == 200
    for email in ("broken@example.com", "md5@example.com", "nohash@example.com",
                  "cost@example.com", "iter@example.com", "plain@example.com"):
        assert stored_hash(server, email) is None, email
    # the taken account kept its password
    assert login_status(server, existing.email, existing.password) == 200
    assert login_status(server, existing.email, pw["b"]) == 401
    assert len(audit_rows(server, "admin.user.import")) == 3


def test_import_from_stdin_with_roles(server):
    pw = new_password()
    lines = [
        {"email": "arr@example.com", "username": "arr", "roles": ["user", "admin"],
         "password_hash": passlib_pbkdf2(pw)},
        {"email": "str@example.com", "roles": "user, admin", "hash": bcrypt_hash(pw)},
        {"email": "none@example.com", "username": None, "name": None, "roles": None,
         "hash": django_pbkdf2(pw)},
        {"email": "bad-role@example.com", "roles": ["user", 7], "hash": bcrypt_hash(pw)},
    ]
    server.secrets.add(pw)
    r = run_import(server, lines, via_stdin=True)
    assert r.returncode != 0
    assert r.stdout == SUMMARY.format(3, 1)
    assert r.stderr.startswith("tessera: import: line 4: ") and "roles" in r.stderr
    for email, roles in (("arr@example.com", ["admin", "user"]),
                         ("str@example.com", ["admin", "user"]),
                         ("none@example.com", [])):
        shown = json.loads(server.cli_ok("user", "show", email).stdout)
        assert sorted(shown["roles"]) == roles, shown
        no_password_fields(shown)
    assert login_status(server, "str@example.com", pw) == 200


def test_import_empty_file_and_errors_of_the_command(server, tmp_path):
    r = run_import(server, [])
    assert r.returncode == 0 and r.stdout == SUMMARY.format(0, 0) and r.stderr == ""
    r = server.cli("user", "import", str(tmp_path / "missing.jsonl"))
    assert r.returncode != 0 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "missing.jsonl" in r.stderr
    r = server.cli("user", "import")
    assert r.returncode != 0 and r.stderr.count("\n") == 1
    r = server.cli("user", "import", "--help")
    assert r.returncode == 0 and "import FILE" in r.stdout


def test_hash_of_the_users_own_system_stays_argon2id(server):
    """An Argon2id hash (another tessera) is imported as is, and a login with the
    same parameters keeps it."""
    pw = new_password()
    u = server.add_user(email="src@example.com", password=pw)
    argon = stored_hash(server, u.email)
    server.secrets.add(argon)
    r = run_import(server, [{"email": "copy@example.com", "password_hash": argon}])
    assert r.returncode == 0, r.stderr
    assert login_status(server, "copy@example.com", pw) == 200
    assert stored_hash(server, "copy@example.com") == argon
    assert json.loads(audit_rows(server, "admin.user.import")[0][1])["format"] == "argon2id"


def test_wrong_passwords_do_not_upgrade_and_unknown_users_look_the_same(server):
    pw = new_password()
    legacy = bcrypt_hash(pw)
    assert run_import(server, [{"email": "slow@example.com",
                                "password_hash": legacy}]).returncode == 0
    for _ in range(3):
        r = server.login_raw(email="slow@example.com", password="not-" + pw)
        assert r.status_code == 401
        r2 = server.login_raw(email="nobody@example.com", password="not-" + pw)
        assert r2.status_code == 401
        assert r.json() == r2.json()
    assert stored_hash(server, "slow@example.com") == legacy


def test_legacy_password_shorter_than_min_length_still_logs_in(server):
    """Old systems allowed shorter passwords than passwords.min_length (8): the user
    can still log in, and is upgraded to Argon2id like anyone else (the minimum applies
    to new passwords only)."""
    pw = "abc123"
    server.secrets.add(pw)
    assert run_import(server, [{"email": "short@example.com",
                                "password_hash": passlib_pbkdf2(pw)}]).returncode == 0
    assert login_status(server, "short@example.com", pw) == 200
    assert stored_hash(server, "short@example.com").startswith("$argon2id$")
    assert login_status(server, "short@example.com", pw) == 200
    assert login_status(server, "short@example.com", "abc124") == 401
