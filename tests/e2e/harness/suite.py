# SPDX-License-Identifier: Apache-2.0
"""What the end-to-end run drives, from the environment: the binary (TESSERA_BIN) and
the storage backends (TESSERA_E2E_BACKENDS); ROOT is the repository's root."""
import os

# tests/e2e/harness/suite.py -> the repository root
ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                     "..", "..", ".."))

BIN = os.environ.get("TESSERA_BIN", "/work/main/build/tessera")

# The storage backends every server-starting test runs on (TESSERA_E2E_BACKENDS, comma-
# separated, narrows it).
BACKENDS = [b for b in os.environ.get("TESSERA_E2E_BACKENDS",
                                      "sqlite,postgresql").split(",") if b]
KNOWN_BACKENDS = ("sqlite", "postgresql")
