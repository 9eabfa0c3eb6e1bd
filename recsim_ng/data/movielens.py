"""MovieLens 100K (943 users, 1,682 movies, 100,000 ratings) as an `EventLog`.

Read from RecBole's copy (`recbole/dataset_example/ml-100k/`, tab-separated, `name:type`
headers). Items carry 19 genre indicators (`genre:<name>`) and the release year; users their
age, gender and occupation (one-hot).
"""

from __future__ import annotations

import pandas as pd

from recsim_ng.data.datasets import package_data
from recsim_ng.data.event_log import EventLog, from_dataframe

FOLDER = ("dataset_example", "ml-100k")


def read_atomic(path: str) -> pd.DataFrame:
    """A RecBole atomic file: tab-separated, headers `name:type` (the types are dropped)."""
    frame = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    return frame.rename(columns=lambda header: header.split(":")[0])


def movielens_100k_tables() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(ratings, items, users) in the log format's column names."""
    ratings = read_atomic(package_data("recbole", *FOLDER, "ml-100k.inter"))
    ratings = pd.DataFrame({"user": ratings["user_id"].astype(int),
                            "item": ratings["item_id"].astype(int),
                            "time": ratings["timestamp"].astype(float),
                            "rating": ratings["rating"].astype(float)})
    raw_items = read_atomic(package_data("recbole", *FOLDER, "ml-100k.item"))
    genres = raw_items["class"].str.get_dummies(sep=" ").add_prefix("genre:")
    year = pd.to_numeric(raw_items["release_year"], errors="coerce")
    items = pd.concat([raw_items["item_id"].astype(int).rename("item"), genres,
                       year.fillna(year.median()).rename("release_year")], axis=1)
    raw_users = read_atomic(package_data("recbole", *FOLDER, "ml-100k.user"))
    users = pd.concat([raw_users["user_id"].astype(int).rename("user"),
                       raw_users["age"].astype(float).rename("age"),
                       pd.get_dummies(raw_users[["gender", "occupation"]], dtype=float)], axis=1)
    return ratings, items, users


def load_movielens_100k() -> EventLog:
    """The ratings as events (`rating` 1-5, `time` in seconds), with item and user features."""
    ratings, items, users = movielens_100k_tables()
    return from_dataframe(ratings, items=items, users=users)


def genre_columns(log: EventLog) -> list[str]:
    """The item feature columns that are genre indicators."""
    return [c for c in log.item_features.columns if str(c).startswith("genre:")]
