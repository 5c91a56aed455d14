"""The Keras 3 summary table: rows from the model, rendered once, with Rich (as Keras 3 does).

``Sequential.summary()``, ``nncli summary`` and the run's ``summary.txt`` all come from
``render``: the columns Layer (type), Output Shape, Param #, then the totals lines
``Total params: 55,050 (215.04 KB)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: Keras 3's column widths (it lets the first grow with long layer names).
COLUMN_WIDTHS = (31, 24, 15)


def readable_bytes(n_bytes: float) -> str:
    """``215.04 KB`` as Keras writes parameter memory."""
    for unit in ("B", "KB", "MB", "GB"):
        if n_bytes < 1024 or unit == "GB":
            return f"{n_bytes:.2f} {unit}"
        n_bytes /= 1024
    return f"{n_bytes:.2f} GB"


def totals_lines(model: Any) -> list[str]:
    """`` Total params: ...``, `` Trainable params: ...``, `` Non-trainable params: ...``."""
    itemsize = np.dtype(model.dtype).itemsize
    totals = model.param_totals()
    labels = (("Total", "total"), ("Trainable", "trainable"), ("Non-trainable", "non_trainable"))
    return [f" {label} params: {totals[key]:,} ({readable_bytes(totals[key] * itemsize)})" for label, key in labels]


def table(model: Any) -> Any:
    """The layers as a Rich table (heavy head, a line between rows, as Keras 3 prints it)."""
    from rich import box
    from rich.table import Table

    rows = model.summary_rows()
    grid = Table(title=f'Model: "{model.name}"', title_justify="left", box=box.HEAVY_HEAD, show_lines=True)
    for header, width in zip(("Layer (type)", "Output Shape"), COLUMN_WIDTHS):
        grid.add_column(header, min_width=width - 2, no_wrap=True)
    grid.add_column("Param #", justify="right", min_width=COLUMN_WIDTHS[2] - 2, no_wrap=True)
    for name, shape, params in rows:
        grid.add_row(name, shape, f"{params:,}")
    return grid


def render(model: Any, console: Any) -> None:
    """Print the table and the totals on a Rich ``console`` (the CLI's stdout)."""
    console.print(table(model))
    for line in totals_lines(model):
        console.print(line, highlight=False)


def text(model: Any) -> str:
    """The summary as plain text, as ``Sequential.summary()`` prints it and ``summary.txt`` holds it."""
    import io

    from rich.console import Console

    buffer = io.StringIO()
    render(model, Console(file=buffer, width=200, color_system=None, highlight=False, emoji=False))
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines())
