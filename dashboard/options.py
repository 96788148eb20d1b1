"""Where the published copy is: light enough for the server to read before it starts."""

import argparse
import os


def published_path(argv: list[str] | None = None) -> str:
    """--published among the script's arguments (`streamlit run app.py -- --published P`),
    else KVARTER_PUBLISHED, else the demo's copy."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--published", default=os.environ.get("KVARTER_PUBLISHED"))
    args, _ = parser.parse_known_args(argv)
    return args.published or "data/published/kvarter.duckdb"
