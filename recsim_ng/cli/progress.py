"""Progress bars (tqdm) for the runner's long steps, silent under `--quiet`."""

from __future__ import annotations

import sys

from tqdm.auto import tqdm


class Progress:
    """Makes tqdm bars on stderr, or disabled ones when `quiet`."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet

    def bar(self, total: int | None, description: str, unit: str = "step") -> tqdm:
        """A bar over `total` units (None: a counter); `bar.set_postfix(metric=...)` shows the
        current metric."""
        return tqdm(total=total, desc=description, unit=unit, disable=self.quiet,
                    file=sys.stderr, dynamic_ncols=True, mininterval=0.5)
