"""python -m sources.synthetic <landing> [--seed N]"""

import argparse
import json
from pathlib import Path

from sources.synthetic.municipality import generate

parser = argparse.ArgumentParser(description="Generate the synthetic municipality.")
parser.add_argument("landing", type=Path)
parser.add_argument("--seed", type=int, default=42)
args = parser.parse_args()
print(json.dumps(generate(args.landing, args.seed), indent=2, ensure_ascii=False))
