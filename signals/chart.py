"""The inline PNG chart of an episode's published series (matplotlib, no display needed)."""

from __future__ import annotations

import datetime as dt
import io

import matplotlib

matplotlib.use("Agg")  # render to memory: the pipeline runs without a display

import matplotlib.pyplot as plt  # noqa: E402 - after the backend is chosen
import pandas as pd  # noqa: E402


def series_png(
    history: pd.DataFrame,
    onset: dt.date,
    band: tuple[float, float, float] | None,
    scale: int,
    title: str,
) -> bytes:
    """Published values (hidden months left as gaps), the municipality line, and the band
    expected from the published months before the onset (mean, low, high)."""
    periods = pd.to_datetime(history["period"])
    values = history["value"].where(~history["suppressed"].astype(bool)) * scale
    figure, axes = plt.subplots(figsize=(6, 2.6), dpi=100)
    axes.plot(periods, values, marker="o", color="#b2182b", label="Området (offentliggjort)")
    axes.plot(
        periods, history["municipality_value"] * scale, color="#555555", linestyle="--",
        label="Kommunen",
    )  # fmt: skip
    if band is not None:
        after = periods >= pd.Timestamp(onset)
        axes.fill_between(
            periods[after], band[1] * scale, band[2] * scale, color="#4393c3", alpha=0.25,
            label="Forventet niveau",
        )  # fmt: skip
    axes.axvline(pd.Timestamp(onset), color="#999999", linewidth=0.8)
    axes.set_title(title, fontsize=9)
    axes.legend(fontsize=7, loc="upper left")
    axes.tick_params(labelsize=7)
    figure.tight_layout()
    out = io.BytesIO()
    # No software/date metadata: the same series gives the same bytes.
    figure.savefig(out, format="png", metadata={"Software": None})
    plt.close(figure)
    return out.getvalue()
