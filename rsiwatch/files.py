"""Files rsiwatch writes for people (exports, digests, plots, the config): all or nothing."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


def write_atomically(path: Path, data: str | bytes, *, durable: bool = True) -> None:
    """Replace ``path`` with ``data``: a temp file in the same folder, fsync, rename; keeps the mode.

    A reader (or a crash) never sees half a file, and a failed write leaves the old file as it was.
    ``durable=False`` skips the fsync (a regenerable file: see ``write_tree``).
    """
    path = Path(path)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent if str(path.parent) else ".")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class TreeWrite:
    written: int
    unchanged: int
    removed: int


def write_tree(root: Path, files: Mapping[str, bytes], owned_dirs: tuple[str, ...] = ()) -> TreeWrite:
    """Make ``root`` hold ``files`` (relative path -> bytes), each file replaced atomically.

    A file whose bytes are already there is left alone (its time too), so a republish touches only
    what changed.  Files under ``owned_dirs`` that are not in ``files`` are removed (an entry that left
    the catalog loses its page); anything else in ``root`` (a .git, a CNAME) is never touched.  A
    ``root`` that does not exist yet is written whole into a temporary folder beside it and renamed
    into place, so it appears complete or not at all.  No
    fsync per file: the tree is regenerable, and the next write repairs any file a crash left short,
    since it compares bytes.
    """
    root = Path(root)
    if not root.exists():
        return _write_new_tree(root, files)
    written = unchanged = removed = 0
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
                unchanged += 1
                continue
        except OSError:
            pass
        write_atomically(path, data, durable=False)
        written += 1
    for folder in owned_dirs:
        for path in sorted((root / folder).glob("*")):
            if path.is_file() and path.relative_to(root).as_posix() not in files:
                path.unlink()
                removed += 1
    return TreeWrite(written, unchanged, removed)


def _write_new_tree(root: Path, files: Mapping[str, bytes]) -> TreeWrite:
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{root.name}.", suffix=".tmp", dir=root.parent))
    try:
        for rel, data in files.items():
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        tmp.chmod(0o755)
        os.rename(tmp, root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return TreeWrite(len(files), 0, 0)
