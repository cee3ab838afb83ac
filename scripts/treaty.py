"""Price a treaty (same as ``qilu-treaty``): ``python scripts/treaty.py treaty=cat_xl_tower input=out/demo``."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # works from a plain checkout too

from engine.treaty.cli import main  # noqa: E402

if __name__ == "__main__":
    main()
