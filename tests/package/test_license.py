# SPDX-License-Identifier: Apache-2.0
"""The license: LICENSE is Apache-2.0, and every source file says so in an SPDX line
that mk/spdx.sh adds.

NOTE: test_every_source_file_has_the_spdx_line FAILS until `sh mk/spdx.sh` has been run
on the tree and committed (the coordinator does it once every branch is merged, so
that the one-line change to every file does not conflict with work in progress).
"""
import os
import shutil
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPDX = "SPDX-License-Identifier: Apache-2.0"


def test_license_is_apache_2():
    text = open(os.path.join(ROOT, "LICENSE")).read()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "Grant of Patent License" in text
    common = "/usr/share/common-licenses/Apache-2.0"
    if os.path.exists(common):
        assert text == open(common).read()


def first_code_line(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().split("\n", 2)
    return lines[1] if lines[0].startswith("#!") and len(lines) > 1 else lines[0]


def test_every_source_file_has_the_spdx_line():
    """Fails until the coordinator runs mk/spdx.sh (see the module's docstring)."""
    files = subprocess.run(["sh", "mk/spdx.sh", "--list"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.split()
    assert len(files) > 100
    missing = [f for f in files if os.path.exists(os.path.join(ROOT, f))
               and SPDX not in first_code_line(os.path.join(ROOT, f))]
    assert not missing, "%d files lack the SPDX line (run sh mk/spdx.sh): %s" % (
        len(missing), " ".join(missing[:10]))


def git(cwd, *args):
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_spdx_script_adds_the_line_once_in_each_syntax(tmp_path):
    """mk/spdx.sh on a small git tree: the comment syntax of each kind of file, after a
    shebang, modes kept, files git does not track left alone, and a second run
    changes nothing."""
    (tmp_path / "mk").mkdir()
    shutil.copy(os.path.join(ROOT, "mk/spdx.sh"), tmp_path / "mk/spdx.sh")
    files = {
        "a.c": "int a;\n",
        "inc/b.h": "/* b */\n",
        "t.py": "#!/usr/bin/python3\nprint(1)\n",
        "u.py": "import os\n",
        "s.sh": "#!/bin/sh\necho hi\n",
        "m.sql": "-- schema\nCREATE TABLE t (x int);\n",
        "w.lua": "wrk.method = 'POST'\n",
        "Makefile": "all:\n\ttrue\n",
        "done.c": "/* %s */\nint d;\n" % SPDX,
        "README.md": "# readme\n",
    }
    for name, text in files.items():
        os.makedirs(os.path.dirname(tmp_path / name), exist_ok=True)
        (tmp_path / name).write_text(text)
    os.chmod(tmp_path / "s.sh", 0o755)
    (tmp_path / "untracked.c").write_text("int u;\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "mk", *files)
    out = subprocess.run(["sh", "mk/spdx.sh"], cwd=tmp_path, capture_output=True,
                         text=True, check=True).stdout
    assert "spdx: 8 files changed" in out      # mk/spdx.sh has its line already
    read = lambda n: (tmp_path / n).read_text()
    assert read("a.c") == "/* %s */\nint a;\n" % SPDX
    assert read("inc/b.h") == "/* %s */\n/* b */\n" % SPDX
    assert read("t.py") == "#!/usr/bin/python3\n# %s\nprint(1)\n" % SPDX
    assert read("u.py") == "# %s\nimport os\n" % SPDX
    assert read("s.sh") == "#!/bin/sh\n# %s\necho hi\n" % SPDX
    assert read("m.sql") == "-- %s\n-- schema\nCREATE TABLE t (x int);\n" % SPDX
    assert read("w.lua") == "-- %s\nwrk.method = 'POST'\n" % SPDX
    assert read("Makefile") == "# %s\nall:\n\ttrue\n" % SPDX
    assert read("done.c") == files["done.c"]
    assert read("README.md") == files["README.md"]
    assert read("untracked.c") == "int u;\n"
    assert os.stat(tmp_path / "s.sh").st_mode & 0o777 == 0o755
    before = {n: read(n) for n in files}
    out = subprocess.run(["sh", "mk/spdx.sh"], cwd=tmp_path, capture_output=True,
                         text=True, check=True).stdout
    assert "spdx: 0 files changed" in out
    assert {n: read(n) for n in files} == before
