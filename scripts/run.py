"""Run Qilu (same as the ``qilu-run`` command): ``python scripts/run.py run.n_years=1000``."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # works from a plain checkout too

from engine.cli import run_main  # noqa: E402

if __name__ == "__main__":
    run_main()
