"""Run the real ``rsiwatch`` command line in a subprocess, as a user would."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml


def run_cli(*args: str, cwd: Path, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "rsiwatch", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"rsiwatch {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}\n{proc.stdout}")
    return proc


def run_json(*args: str, cwd: Path) -> Any:
    return json.loads(run_cli(*args, "--json", cwd=cwd).stdout)


def write_config(path: Path, sources: list[dict[str, Any]], **extra: Any) -> Path:
    """A config for tests: fast politeness for 127.0.0.1, the given sources."""
    config = {
        "database": "candidates.db",
        "contact": "tests@example.org",
        "politeness": {"default_delay_s": 0.0, "per_host_delay_s": {}},
        "http": {"connect_timeout_s": 2, "read_timeout_s": 2, "total_timeout_s": 5, "retries": 0},
        "sources": sources,
        **extra,
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path
