"""Writing a report's pieces: PNG figures and tables as strict-JSON records, atomically."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from recsim_ng.lib.files import atomic_writer


def save_figure(figure: Figure, path: str, overwrite: bool = False) -> None:
    """The figure as a PNG at `path` (Agg canvas, no pyplot state), written atomically."""
    FigureCanvasAgg(figure)
    with atomic_writer(path, "wb", overwrite=overwrite) as file:
        figure.savefig(file, format="png", dpi=110)


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts of plain Python values; non-finite numbers become None (strict JSON)."""
    def plain(x):
        if isinstance(x, (float, np.floating)):
            return float(x) if np.isfinite(x) else None
        return x.item() if isinstance(x, np.generic) else x

    return [{k: plain(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]
