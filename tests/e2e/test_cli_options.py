# SPDX-License-Identifier: Apache-2.0
"""Every command's command line (docs/cli.md): --help prints the usage and the options
the command takes and exits 0; a wrong command line (unknown option, option without
its value, a value that is not a number, a word too many) is one line on stderr naming
the option or the word, exit 2, before anything is touched."""
import os
import re

import pytest

from conftest import base_env, run_bin

# The options each command takes (its sub-command, for those made of several): a
# new option must be added here, one that disappears is a change a user notices.
COMMON = {"--config", "--database", "--set"}
ENDUSER = {"--profile", "--cacert"}
COMMANDS = {
    "serve": ([], {"--listen", "--compat", "--check-config"} | COMMON),
    "user": (["add"], {"--email", "--username", "--name", "--roles", "--password-stdin",
                       "--disabled", "--enabled", "--email-prefix", "--role"} | COMMON),
    "client": (["add"], {"--id", "--grants", "--scopes", "--roles", "--audiences",
                         "--auth-method", "--public", "--access-ttl", "--refresh-ttl",
                         "--idle-ttl", "--rotation", "--disabled", "--tls-subject-dn",
                         "--tls-thumbprint", "--redirect-uris",
                         "--post-logout-redirect-uris", "--first-party",
                         "--backchannel-logout-uri", "--id-token-alg"} | COMMON),
    "keys": (["rotate"], {"--alg", "--now"} | COMMON),
    "sessions": (["list"], {"--user", "--limit"} | COMMON),
    "db": (["migrate"], COMMON),
    "dev-certs": ([], {"--dir", "--host", "--client", "--days", "--expired", "--ca-name",
                       "--force"}),
    "login": ([], {"--server", "--username", "--scope", "--password-stdin"} | ENDUSER),
    "token": ([], ENDUSER),
    "whoami": ([], {"--json"} | ENDUSER),
    "logout": ([], {"--all", "--local"} | ENDUSER),
    "request": ([], {"-X", "--request", "-H", "--header", "-d", "--data"} | ENDUSER),
}

OPTION_LINE = re.compile(r"^  (-[A-Za-z], )?(--?[a-z][a-z-]*)( \S+)?")


def run(tmp_path, *args):
    """The binary in an empty directory that is also its HOME: whatever a command
    wrongly creates (a database, a token file) shows in os.listdir(tmp_path)."""
    return run_bin(*args, env=base_env({"HOME": str(tmp_path)}), timeout=20, cwd=tmp_path,
                   input="")


def one_line_error(r):
    lines = r.stderr.strip("\n").split("\n")
    assert len(lines) == 1 and lines[0].startswith("tessera: "), r.stderr
    return lines[0]


def help_options(text):
    """{option: takes a value} of the "options:" block of a --help text."""
    block = text.split("\noptions:\n", 1)[1].split("\n\n", 1)[0]
    opts = {}
    for ln in block.split("\n"):
        m = OPTION_LINE.match(ln)
        if not m:
            continue
        value = m.group(3) is not None and not ln.startswith("  -h, --help")
        if m.group(1):
            opts[m.group(1)[:2]] = value
        opts[m.group(2)] = value
    return opts


@pytest.mark.parametrize("cmd", sorted(COMMANDS))
def test_help_lists_the_options(tmp_path, cmd):
    sub, want = COMMANDS[cmd]
    for args in ([cmd, "--help"], [cmd, *sub, "--help"], [cmd, "-h"]):
        r = run(tmp_path, *args)
        assert r.returncode == 0 and r.stderr == "", (args, r.returncode, r.stderr)
        assert r.stdout.startswith("usage: tessera " + cmd), r.stdout
        assert set(help_options(r.stdout)) == want | {"-h", "--help"}, args
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("cmd", sorted(COMMANDS))
def test_every_option_of_the_help_is_one(tmp_path, cmd):
    """What the help says is what the parser takes: an option shown with a value
    needs one (exit 2 naming it when it is missing), a flag takes none."""
    sub, _ = COMMANDS[cmd]
    opts = help_options(run(tmp_path, cmd, "--help").stdout)
    for opt, takes_value in opts.items():
        if opt in ("-h", "--help"):
            continue
        args = [cmd, *sub, opt] if takes_value else [cmd, *sub, opt + "=x"]
        r = run(tmp_path, *args)
        line = one_line_error(r)
        assert r.returncode == 2, (args, line)
        assert opt in line and ("needs a value" if takes_value else "takes no value") \
            in line, (args, line)
        assert "unknown option" not in line, line
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("cmd", sorted(COMMANDS))
def test_unknown_option_exits_2_naming_it(tmp_path, cmd):
    sub, _ = COMMANDS[cmd]
    for word in ("--no-such-option", "--no-such-option=s3cret-value"):
        r = run(tmp_path, cmd, *sub, word)
        line = one_line_error(r)
        assert r.returncode == 2, line
        assert "unknown option '--no-such-option'" in line, line
        # a value given with it may be anything, a password too: never repeated
        assert "s3cret" not in line, line
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("args,option", [
    (["sessions", "list", "--limit", "x"], "--limit"),
    (["sessions", "list", "--limit", "0"], "--limit"),
    (["client", "add", "app", "--access-ttl", "-1"], "--access-ttl"),
    (["client", "add", "app", "--idle-ttl=1h"], "--idle-ttl"),
    (["dev-certs", "--days", "3651"], "--days"),
], ids=lambda v: " ".join(v) if isinstance(v, list) else v)
def test_a_value_that_is_not_a_number_exits_2(tmp_path, args, option):
    r = run(tmp_path, *args)
    line = one_line_error(r)
    assert r.returncode == 2 and option in line and "number" in line, line
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("args,option", [
    (["token", "--profile", "../../etc"], "--profile"),
    (["whoami", "--cacert="], "--cacert"),
    (["client", "add", "app", "--rotation", "maybe"], "--rotation"),
    (["request", "-X", "", "/v1/auth/me"], "method"),
    (["dev-certs", "--host", "bad host"], "--host"),
], ids=lambda v: " ".join(v) if isinstance(v, list) else v)
def test_a_value_an_option_cannot_take_exits_2(tmp_path, args, option):
    r = run(tmp_path, *args)
    line = one_line_error(r)
    assert r.returncode == 2 and option in line, line
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("args,word", [
    (["serve", "extra"], "extra"),
    (["db", "migrate", "extra"], "extra"),
    (["keys", "list", "extra"], "extra"),
    (["user", "list", "extra"], "extra"),
    (["user", "show", "alice", "extra"], "extra"),
    (["client", "list", "extra"], "extra"),
    (["dev-certs", "extra"], "extra"),
    (["login", "extra"], "extra"),
    (["token", "extra"], "extra"),
    (["whoami", "extra"], "extra"),
    (["logout", "extra"], "extra"),
    (["request", "/v1/auth/me", "/extra"], "/extra"),
], ids=lambda v: " ".join(v) if isinstance(v, list) else v)
def test_an_argument_too_many_exits_2(tmp_path, args, word):
    r = run(tmp_path, *args)
    line = one_line_error(r)
    assert r.returncode == 2 and f"'{word}'" in line, line
    assert os.listdir(tmp_path) == []


def test_ids_that_start_with_a_dash_are_operands(tmp_path):
    """Ids are base64url: a word with one '-' is an id, "--" takes the next word as
    one, and options still follow (docs/cli.md)."""
    db = tmp_path / "t.db"
    for args in (["user", "show", "-Abc"], ["user", "show", "--", "--Abc"],
                 ["keys", "retire", "-Abc"], ["sessions", "show", "-Abc"]):
        r = run(tmp_path, *args, "--database", db)
        line = one_line_error(r)
        assert r.returncode == 1 and "Abc'" in line and "option" not in line, line


def test_a_forgotten_value_never_shows_the_database_password(tmp_path):
    """`--id --database URL`: the id was left out, and the URL after it (which holds
    the database password) is not repeated as an argument too many."""
    url = "postgresql://tessera:pw-s3cret@127.0.0.1:9/db"
    for args in (["client", "add", "x", "--id", "--database", url],
                 ["user", "add", "--name", "--database", url],
                 ["keys", "list", url], ["db", "migrate", url]):
        r = run(tmp_path, *args)
        line = one_line_error(r)
        assert r.returncode == 2 and "s3cret" not in line, line
    assert "--id needs a value" in one_line_error(run(tmp_path, "client", "add", "x",
                                                      "--id", "--database", url))
    assert os.listdir(tmp_path) == []

