"""Where variorum keeps its files: every user-level path is decided here.

``VARIORUM_DATA_DIR`` overrides the data directory (tests and CI use it), and
so the state directory; ``VARIORUM_CONFIG_DIR`` the config directory;
otherwise the platform's user data dir (XDG on Linux) is used.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import platformdirs

APP = "variorum"


def data_dir() -> Path:
    env = os.environ.get("VARIORUM_DATA_DIR")
    return Path(env).expanduser() if env else platformdirs.user_data_path(APP)


def index_dir_for(corpus: Path) -> Path:
    """The default index directory of a corpus: one per absolute corpus path."""
    corpus = corpus.resolve()
    digest = hashlib.blake2b(str(corpus).encode(), digest_size=6).hexdigest()
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", corpus.name or "root").strip("-")[:40] or "corpus"
    return data_dir() / "indexes" / f"{slug}-{digest}"


def config_dir() -> Path:
    """The user config dir (``VARIORUM_CONFIG_DIR`` overrides it)."""
    env = os.environ.get("VARIORUM_CONFIG_DIR")
    return Path(env).expanduser() if env else platformdirs.user_config_path(APP)


def state_dir() -> Path:
    """Where the reader remembers things per corpus (``VARIORUM_STATE_DIR``
    overrides it; by default under the data dir when that is overridden, so
    tests and CI never touch the user's state)."""
    env = os.environ.get("VARIORUM_STATE_DIR")
    if env:
        return Path(env).expanduser()
    if os.environ.get("VARIORUM_DATA_DIR"):
        return data_dir() / "state"
    return platformdirs.user_state_path(APP)
