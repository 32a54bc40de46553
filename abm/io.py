"""Output files: confined, atomic, byte-identical for the same scenario and seed."""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from abm.errors import InputError

TMP_MARK = ".tmp-"
OLD_MARK = ".old-"
SIGNIFICANT_DIGITS = 12


def output_dir(root: str | Path, name: str) -> Path:
    """``root/name``, refusing anything that could write outside ``root``.

    ``name`` must be a plain slug (no separators, no ``..``); neither ``root`` nor
    ``root/name`` may be a symlink, and ``root/name`` must be a folder if present.
    """
    base = Path(root)
    if "/" in name or "\\" in name or name in ("", ".", "..") or name.startswith("."):
        raise InputError(f"output name {name!r} is not a plain folder name", key="name")
    if base.is_symlink():
        raise InputError("output folder is a symlink; refusing to follow it", source=str(base))
    if base.exists() and not base.is_dir():
        raise InputError("output folder exists and is not a folder", source=str(base))
    target = base / name
    if target.is_symlink():
        raise InputError("output path is a symlink; refusing to follow it", source=str(target))
    if target.exists() and not target.is_dir():
        raise InputError("output path exists and is not a folder", source=str(target))
    return target


def clean_debris(target: Path) -> None:
    """Remove temporary folders that an interrupted earlier run left beside ``target``."""
    parent = target.parent
    if not parent.is_dir():
        return
    for leftover in parent.glob(f".{target.name}*"):
        if (TMP_MARK in leftover.name or OLD_MARK in leftover.name) and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)


@contextmanager
def atomic_directory(target: Path) -> Iterator[Path]:
    """Yield a temporary folder beside ``target``; on success it replaces ``target`` whole.

    On any exception (KeyboardInterrupt included) the temporary folder is removed
    and ``target`` is left as it was: the previous complete result or nothing.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    clean_debris(target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}{TMP_MARK}", dir=target.parent))
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)
    try:
        yield tmp
        with signals_deferred():
            old = None
            if target.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{target.name}{OLD_MARK}", dir=target.parent))
                os.rename(target, old / "previous")
            os.rename(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM for the two renames of a swap, so it happens whole or not at all."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Parquet without pandas or schema metadata, so the bytes depend only on the data."""
    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    pq.write_table(table, path, store_schema=False, compression="zstd")


def tidy(value: object) -> object:
    """JSON-ready copy: floats to 12 significant digits, NaN/inf to None, numpy to Python."""
    if isinstance(value, dict):
        return {str(k): tidy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [tidy(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if not math.isfinite(number):
            return None
        return float(f"{number:.{SIGNIFICANT_DIGITS}g}")
    return value


def write_json(payload: object, path: Path) -> None:
    """Sorted keys, fixed float precision, trailing newline."""
    path.write_text(json.dumps(tidy(payload), indent=2, sort_keys=True) + "\n", encoding="utf-8")
