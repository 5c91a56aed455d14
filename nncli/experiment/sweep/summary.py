"""The end of a sweep for people: the best runs by the first metric (in its direction), as a
Rich table."""

from __future__ import annotations

import math
from typing import Any

from nncli.engine.progress import format_number, short_duration

#: Rows of the summary table.
TOP = 10


def best_rows(rows: list[dict[str, Any]], metric: str | None, top: int = TOP) -> list[dict[str, Any]]:
    """The completed runs, best first by ``metric``'s direction (``nncli.runs`` sorts the same way)."""
    from nncli.runs.listing import sorted_rows

    completed = [row for row in rows if row["status"] == "completed"]
    return (sorted_rows(completed, metric) if metric else completed)[:top]


def best_table(result: Any, top: int = TOP) -> Any:
    """``digits-sweep: best of 12 runs by test_accuracy (highest first)`` with rank, run,
    the metric, epochs and seconds; one line instead when no run completed."""
    from rich import box
    from rich.table import Table

    from nncli.runs.listing import direction

    metric = result.metric
    rows = best_rows(result.rows, metric, top)
    counts: dict[str, int] = {}
    for row in result.rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    statuses = ", ".join(f"{n} {s}" for s, n in counts.items())
    if not rows:  # interrupted or failed before any run ended: a sentence, not an empty table
        return f"{result.directory.name}: {len(result.rows)} runs, none completed ({statuses})"
    order = "highest" if metric and direction(metric) == "max" else "lowest"
    title = f"{result.directory.name}: best of {len(result.rows)} runs" + (f" by {metric} ({order} first)"
                                                                           if metric else "")
    table = Table(title=title, box=box.HEAVY_HEAD, caption=statuses)
    table.add_column("#", justify="right")
    table.add_column("run", overflow="fold")
    table.add_column(metric or "metric", justify="right")
    table.add_column("epochs", justify="right")
    table.add_column("time", justify="right")
    for rank, row in enumerate(rows, start=1):
        value = row.get(metric) if metric else None
        shown = format_number(value) if isinstance(value, float) and not math.isnan(value) else ""
        seconds = row.get("seconds")
        table.add_row(str(rank), row["run"], shown, str(row.get("epochs") or ""),
                      f"{seconds:.2f}s" if isinstance(seconds, float) and seconds < 60 else short_duration(seconds))
    return table


def typed_rows(sweep_dir: Any) -> list[dict[str, Any]]:
    """The rows of ``sweep.csv`` with their cells read back as YAML (numbers, names, lists)."""
    import yaml

    from nncli.experiment.sweep import layout

    def typed(cell: str) -> Any:
        if cell == "":
            return None
        try:
            return yaml.safe_load(cell)
        except yaml.YAMLError:
            return cell

    return [{key: typed(cell) if key not in ("run", "reason") else cell for key, cell in row.items()}
            for row in layout.read_table(sweep_dir)]


def draw_picture(sweep_dir: Any, out_dir: Any = None) -> Any:
    """Draw ``sweep.png`` of a sweep folder from its sweep.yaml and sweep.csv (into ``out_dir``,
    the sweep folder by default); returns its path."""
    from pathlib import Path

    from nncli.experiment.sweep import layout, primary_metric
    from nncli.plots.sweep import plot_sweep

    sweep_dir = Path(sweep_dir)
    tree = layout.read_spec(sweep_dir)
    spec, base = tree["spec"], tree.get("base") or {}
    keys = [text.partition("=")[0].strip() for text in [*spec.get("grid", []), *spec.get("params", [])]]
    rows = typed_rows(sweep_dir)
    metric = primary_metric(rows, (base.get("training") or {}).get("metrics") or []) or "loss"
    folder = Path(out_dir) if out_dir is not None else sweep_dir
    folder.mkdir(parents=True, exist_ok=True)
    return plot_sweep(rows, keys, metric, folder / layout.PICTURE_FILE, title=sweep_dir.name)
