"""The published copy as the pages read it, each query cached per version of the file;
and the overview's queries run while the server starts (`warm`)."""

import datetime as dt
import functools
from zoneinfo import ZoneInfo

import streamlit as st

from dashboard.published import Published


@st.cache_data(max_entries=2000, show_spinner=False)
def query(path: str, stamp: tuple[int, int], name: str, *args):
    """One published query, kept until a publish replaces the file (the stamp changes)."""
    return getattr(Published(path), name)(*args)


class Data:
    """The published copy as the pages read it: each query cached per version of the
    file, so a page view after the first costs no database work and a publish is seen
    on the next interaction."""

    def __init__(self, path: str):
        self.stamp = Published(path).stamp()
        self.path = path
        query(path, self.stamp, "check")

    def __getattr__(self, name: str):
        return functools.partial(query, self.path, self.stamp, name)

    def published_at(self) -> str:
        moment = dt.datetime.fromtimestamp(self.stamp[1] / 1e9, ZoneInfo("Europe/Copenhagen"))
        return f"{moment:%d.%m.%Y kl. %H:%M:%S}"


def warm(path: str) -> None:
    """Run the queries of the first page (the overview with its default indicator and the
    latest month) into the cache, so the first visitor does not wait for them. Called
    while the server starts; the same calls as `app.overview` makes."""
    data = Data(path)
    indicator = data.catalogue()["indicator_id"].iloc[0]
    period = data.months()[0]
    data.geometry()
    data.indicator_month(indicator, period)
    data.statutory()
    data.area_profile("municipality", period)
    data.disclosure_explanation()
