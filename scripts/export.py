"""``python scripts/export.py <run_dir> [...]`` = ``qilu-export``: a finished run folder -> Oasis ORD tables."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from engine.ord.export import main  # noqa: E402

if __name__ == "__main__":
    main()
