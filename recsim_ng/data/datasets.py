"""Finding the example logs that ship inside other packages, without importing those packages.

MovieLens 100K ships in `recbole`, the Open Bandit Dataset sample in `obp`; both are installed
with `--no-deps` (their imports pull in PyTorch and more), so only their data files are read.
MovieLens may not be redistributed: the files are read where pip put them, never copied.
"""

from __future__ import annotations

import importlib.util
import os

INSTALL_COMMAND = "pip install --no-deps -c constraints.txt recbole==1.2.1 obp==0.4.1"


class DatasetNotInstalled(FileNotFoundError):
    """The package that ships a dataset is missing; the message gives the install command."""


def package_data(package: str, *relative: str) -> str:
    """The path of `relative` inside the installed `package`, checked to exist."""
    spec = importlib.util.find_spec(package)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        path = os.path.join(location, *relative)
        if os.path.exists(path):
            return path
    where = f"in {locations}" if locations else "(the package is not installed)"
    raise DatasetNotInstalled(
        f"{os.path.join(package, *relative)} not found {where}. Install the example logs with:"
        f" {INSTALL_COMMAND}  (from the recsim_ng checkout; scripts/setup.sh does it)")
