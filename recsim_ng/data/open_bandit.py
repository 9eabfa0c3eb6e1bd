"""The Open Bandit Dataset sample (ZOZOTOWN's fashion carousel) as an `EventLog`.

Read from obp's copy (`obp/dataset/obd/<policy>/<campaign>/`): 10,000 impressions per policy
and campaign, each one item in one of 3 slots (`position` 1-3), a click, and the logging
policy's propensity; `random` logged uniformly at random, `bts` by Bernoulli Thompson sampling.
An impression has no visitor id, so each is its own user; its visitor's hashed features become
one-hot event features (`user_feature_k=<hash>`), and items carry `item_feature_0` and one-hot
categories.
"""

from __future__ import annotations

import pandas as pd

from recsim_ng.data.datasets import package_data
from recsim_ng.data.event_log import EventLog, from_dataframe

POLICIES = ("random", "bts")
CAMPAIGNS = ("all", "men", "women")
NUM_SLOTS = 3


def open_bandit_tables(policy: str = "random",
                       campaign: str = "all") -> tuple[pd.DataFrame, pd.DataFrame]:
    """(impressions, items) in the log format's columns; event features are `user_feature_*`."""
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {POLICIES}, got {policy!r}")
    if campaign not in CAMPAIGNS:
        raise ValueError(f"campaign must be one of {CAMPAIGNS}, got {campaign!r}")
    raw = pd.read_csv(package_data("obp", "dataset", "obd", policy, campaign, f"{campaign}.csv"),
                      index_col=0)
    visitor = [c for c in raw.columns if c.startswith("user_feature_")]
    impressions = pd.concat([
        pd.DataFrame({"user": raw.index, "item": raw["item_id"], "time": raw["timestamp"],
                      "position": raw["position"], "click": raw["click"],
                      "propensity": raw["propensity_score"]}, index=raw.index),
        pd.get_dummies(raw[visitor], prefix_sep="=", dtype=float)], axis=1)
    raw_items = pd.read_csv(package_data("obp", "dataset", "obd", policy, campaign,
                                         "item_context.csv"), index_col=0)
    categories = [c for c in raw_items.columns if c.startswith("item_feature_")
                  and not pd.api.types.is_numeric_dtype(raw_items[c])]
    items = pd.concat([raw_items.drop(columns=categories).rename(columns={"item_id": "item"}),
                       pd.get_dummies(raw_items[categories], prefix_sep="=", dtype=float)], axis=1)
    return impressions, items


def load_open_bandit(policy: str = "random", campaign: str = "all") -> EventLog:
    """One logging policy's impressions on one campaign."""
    impressions, items = open_bandit_tables(policy, campaign)
    features = [c for c in impressions.columns if c.startswith("user_feature_")]
    return from_dataframe(impressions, items=items, event_features=features)
