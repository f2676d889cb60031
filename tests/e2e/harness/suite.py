# SPDX-License-Identifier: Apache-2.0
"""What the end-to-end run drives, from the environment: the binary (TESSERA_BIN,
default the repository's own build/tessera) and the storage backends
(TESSERA_E2E_BACKENDS). Paths derive from this file's place in the repository, never
from where someone's checkout happens to be."""
import os

# tests/e2e/harness/suite.py -> the repository root
ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                     "..", "..", ".."))

# Absolute, so a relative TESSERA_BIN still names the same file when a server runs in
# its own work directory.
BIN = os.path.abspath(os.environ.get("TESSERA_BIN",
                                     os.path.join(ROOT, "build", "tessera")))

# The storage backends every server-starting test runs on (TESSERA_E2E_BACKENDS, comma-
# separated, narrows it).
BACKENDS = [b for b in os.environ.get("TESSERA_E2E_BACKENDS",
                                      "sqlite,postgresql").split(",") if b]
KNOWN_BACKENDS = ("sqlite", "postgresql")
