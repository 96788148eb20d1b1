"""`python -m dashboard [streamlit options] -- --published PATH`: the dashboard's server
(`streamlit run dashboard/app.py`), bound to 127.0.0.1 unless told otherwise.

While the server starts, a thread imports the libraries the pages use (pandas, pyarrow,
DuckDB: seconds on this machine), which Streamlit would otherwise import in the first
visitor's session, and runs the overview's queries into the cache.
"""

import sys
import threading
from pathlib import Path

from streamlit.web import cli

from dashboard.options import published_path


def warm_up(published: str) -> None:
    import duckdb
    import pyarrow  # noqa: F401  (Streamlit sends tables to the browser as Arrow)

    import dashboard.specs  # noqa: F401
    import dashboard.tables  # noqa: F401
    import quality.exports  # noqa: F401
    from dashboard.data import warm
    from dashboard.published import PublishedError

    try:
        warm(published)
    except (PublishedError, duckdb.Error):
        pass  # the first page says what is wrong with the copy


def main() -> None:
    script_args = sys.argv[sys.argv.index("--") + 1 :] if "--" in sys.argv else []
    threading.Thread(target=warm_up, args=(published_path(script_args),), daemon=True).start()
    app = Path(__file__).with_name("app.py")
    # Options given later on the command line win over these defaults.
    sys.argv = [
        "streamlit", "run", str(app), "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false", *sys.argv[1:],
    ]  # fmt: skip
    cli.main()


main()
