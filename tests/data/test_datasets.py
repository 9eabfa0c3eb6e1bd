"""Tests for the example logs: MovieLens 100K (from recbole) and Open Bandit (from obp).

Both packages are installed with `--no-deps` (scripts/setup.sh); only their data files may be
read, so a subprocess checks that loading never imports them.
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from recsim_ng.data.datasets import INSTALL_COMMAND, DatasetNotInstalled, package_data
from recsim_ng.data.movielens import genre_columns, load_movielens_100k
from recsim_ng.data.open_bandit import load_open_bandit


@pytest.fixture(scope="module")
def movielens():
    return load_movielens_100k()


@pytest.fixture(scope="module")
def random_all():
    return load_open_bandit("random", "all")


# Finding the files.


def test_a_missing_package_says_how_to_install_the_logs():
    with pytest.raises(DatasetNotInstalled) as info:
        package_data("no_such_package_xyz", "a")
    assert INSTALL_COMMAND in str(info.value)
    assert "no_such_package_xyz" in str(info.value)
    assert isinstance(info.value, FileNotFoundError)


def test_a_missing_file_in_an_installed_package_is_not_installed_either():
    with pytest.raises(DatasetNotInstalled) as info:
        package_data("recbole", "dataset_example", "no-such-folder", "x.inter")
    assert INSTALL_COMMAND in str(info.value)
    assert "no-such-folder" in str(info.value)


def test_package_data_finds_the_shipped_files():
    path = package_data("recbole", "dataset_example", "ml-100k", "ml-100k.inter")
    assert os.path.isfile(path) and path.endswith(os.path.join("ml-100k", "ml-100k.inter"))
    assert os.path.isdir(package_data("obp", "dataset", "obd", "random", "all"))


def test_loading_the_logs_does_not_import_recbole_or_obp():
    script = textwrap.dedent("""
        import sys
        import recsim_ng.data.movielens as movielens
        import recsim_ng.data.open_bandit as open_bandit
        movielens.load_movielens_100k()
        open_bandit.load_open_bandit("bts", "men")
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("recbole", "obp", "torch"))
        print("LOADED", loaded)
        sys.exit(1 if loaded else 0)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "LOADED []" in done.stdout


# MovieLens 100K.


def test_movielens_has_its_published_sizes(movielens):
    assert movielens.num_users == 943
    assert movielens.num_items == 1682
    assert movielens.num_events == 100_000
    assert list(movielens.item_ids) == list(range(1, 1683))
    assert list(movielens.user_ids) == list(range(1, 944))
    assert (movielens.lengths() >= 20).all()  # Every user rated at least 20 movies.


def test_movielens_ratings_are_1_to_5_with_times_in_seconds(movielens):
    assert sorted(movielens.events["rating"].unique()) == [1.0, 2.0, 3.0, 4.0, 5.0]
    time = movielens.events["time"]
    # September 1997 to April 1998.
    assert 874_000_000 < time.min() and time.max() < 894_000_000


def test_movielens_items_have_19_genres_and_at_least_one_each(movielens):
    genres = genre_columns(movielens)
    assert len(genres) == 19
    assert all(g.startswith("genre:") for g in genres)
    assert "release_year" not in genres
    flags = movielens.item_features[genres].to_numpy()
    assert flags.shape == (1682, 19)
    assert set(np.unique(flags)) <= {0.0, 1.0}
    assert (flags.sum(axis=1) >= 1).all()
    # Toy Story (item 1): Animation, Children's, Comedy.
    toy_story = movielens.item_features.iloc[list(movielens.item_ids).index(1)]
    assert {g for g in genres if toy_story[g] == 1} == {
        "genre:Animation", "genre:Children's", "genre:Comedy"}
    assert toy_story["release_year"] == 1995
    assert np.isfinite(movielens.item_features.to_numpy(float)).all()


def test_movielens_users_carry_their_features(movielens):
    assert movielens.user_features.shape[0] == 943
    assert "age" in movielens.user_features.columns
    assert np.isfinite(movielens.user_features.to_numpy(float)).all()


# Open Bandit.


def test_open_bandit_random_all_is_the_uniform_sample(random_all):
    log = random_all
    assert log.num_events == 10_000
    assert log.num_items == 80
    assert set(log.events["position"].unique()) == {1, 2, 3}
    np.testing.assert_array_equal(log.events["propensity"].to_numpy(), 0.0125)
    assert set(log.events["click"].unique()) <= {0, 1}
    assert 0 < log.events["click"].sum() < 10_000
    assert log.num_users == 10_000  # An impression is its own visitor.
    assert log.event_features and all(f.startswith("user_feature_")
                                       for f in log.event_features)
    assert log.item_features.shape[0] == 80


def test_open_bandit_bts_propensities_are_probabilities(random_all):
    log = load_open_bandit("bts", "all")
    propensity = log.events["propensity"].to_numpy()
    assert log.num_events == 10_000
    assert ((propensity > 0) & (propensity <= 1)).all()
    assert propensity.min() < propensity.max()  # Thompson sampling is not uniform.


@pytest.mark.parametrize("policy, campaign", [("greedy", "all"), ("random", "kids"),
                                              ("Random", "all"), ("random", "")])
def test_unknown_policies_and_campaigns_are_value_errors(policy, campaign):
    with pytest.raises(ValueError, match="policy" if policy not in ("random", "bts")
                       else "campaign"):
        load_open_bandit(policy, campaign)
