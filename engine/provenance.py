"""provenance.json: what produced a run (code version, packages, seed, input checksums)."""
from __future__ import annotations

import hashlib
import platform
import subprocess
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from engine.config import PROJECT_ROOT

PACKAGES = ("qilu", "numpy", "numba", "scipy", "pandas", "xarray", "pyarrow", "hydra-core", "omegaconf",
            "h5netcdf", "zarr", "matplotlib")


def git_state(root: Path = PROJECT_ROOT) -> dict:
    """Commit SHA and whether the work tree had uncommitted changes (None outside git)."""
    def git(*args):
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10)
    try:
        sha = git("rev-parse", "HEAD")
        if sha.returncode != 0:
            return {"sha": None, "dirty": None}
        dirty = git("status", "--porcelain", "--untracked-files=no").stdout.strip() != ""
        return {"sha": sha.stdout.strip(), "dirty": dirty}
    except (OSError, subprocess.TimeoutExpired):
        return {"sha": None, "dirty": None}


def package_versions() -> dict:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in 8 MiB blocks (a model footprint can be larger than memory)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(8 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def provenance(plan, seconds: float) -> dict:
    s = plan.settings
    return {
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "git": git_state(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": package_versions(),
        "seed": s.config.run.seed,
        "n_years": s.config.run.n_years,
        "samples": s.config.run.samples,
        "inputs": {name: {"path": str(path), "sha256": file_sha256(path)} for name, path in plan.input_files.items()},
        "wall_seconds": round(seconds, 3),
    }
