"""Both CSV read paths of one file, and what makes their results the same."""

from pathlib import Path

import numpy as np
import pandas as pd

from sources import readers


def loop_rows(path: Path, wanted: list[str]) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """The file's rows through the reference line loop alone (header already checked)."""
    origin = str(path)
    text, _ = readers.decode(path.read_bytes(), origin)
    lines, ended = readers._physical_lines(text)
    header = [h.strip() for h in readers._fields(lines[0])]
    return readers._loop_rows(lines, ended, header, wanted, origin)


def cells_of(frame) -> dict[str, list[str]]:
    if not isinstance(frame, pd.DataFrame):
        frame = frame.to_pandas()
    return {name: list(frame[name]) for name in frame.columns}


def assert_same_rows(path: Path, wanted: list[str], frame, lines: np.ndarray) -> None:
    """The fast path's cells and line numbers are the loop's, which refused no line."""
    loop_frame, loop_lines, rejected = loop_rows(path, wanted)
    assert rejected.empty
    assert cells_of(frame) == cells_of(loop_frame)
    np.testing.assert_array_equal(lines, loop_lines)
