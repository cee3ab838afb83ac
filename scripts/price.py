"""Price a special-crop product (same as ``qilu-price``): ``python scripts/price.py product=special_crop/apple_yantai``."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # works from a plain checkout too

from engine.experience.cli import main  # noqa: E402

if __name__ == "__main__":
    main()
