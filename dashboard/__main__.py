"""`python -m dashboard [streamlit options] -- --published PATH`: the dashboard's server
(`streamlit run dashboard/app.py`), bound to 127.0.0.1 unless told otherwise.

While the server starts, a thread imports the libraries the pages use (pandas, Altair,
DuckDB: seconds on this machine), which Streamlit would otherwise import in the first
visitor's session.
"""

import sys
import threading
from pathlib import Path

from streamlit.web import cli


def warm_up() -> None:
    import pyarrow  # noqa: F401  (Streamlit sends tables to the browser as Arrow)

    import dashboard.charts  # noqa: F401
    import dashboard.published  # noqa: F401
    import dashboard.tables  # noqa: F401
    import quality.exports  # noqa: F401


def main() -> None:
    threading.Thread(target=warm_up, daemon=True).start()
    app = Path(__file__).with_name("app.py")
    # Options given later on the command line win over these defaults.
    sys.argv = [
        "streamlit", "run", str(app), "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false", *sys.argv[1:],
    ]  # fmt: skip
    cli.main()


main()
