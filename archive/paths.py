"""Where the archive's data directory is: ``--data-dir``, ``$XXGK_DATA_DIR``, or a default."""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "XXGK_DATA_DIR"


def data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The data directory: the explicit one, else ``$XXGK_DATA_DIR``, else a user folder.

    The default sits outside the package (``$XDG_DATA_HOME/xxgk-archive`` or
    ``~/.local/share/xxgk-archive``), so the archive never lands in a checkout.
    """
    if explicit:
        return Path(explicit).expanduser().resolve()
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser().resolve()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return (Path(base) / "xxgk-archive").resolve()
