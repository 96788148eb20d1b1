"""python -m sources.synthetic <landing> [--scale demo|small|city|national] [--seed N]"""

import argparse
import json
from pathlib import Path

from sources.synthetic.municipality import generate
from sources.synthetic.scenario import SCALES

parser = argparse.ArgumentParser(description="Generate the synthetic municipality.")
parser.add_argument("landing", type=Path)
parser.add_argument("--scale", choices=sorted(SCALES), default="demo")
parser.add_argument("--seed", type=int, default=42)
args = parser.parse_args()
print(json.dumps(generate(args.landing, args.scale, args.seed), indent=2, ensure_ascii=False))
