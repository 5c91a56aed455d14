"""``sweep.png``: a sweep's first metric against each swept key, one panel per key; the points
of a panel coloured by the values of the other keys, each the mean over the seeds with an error
bar of their standard deviation.

``point_summaries`` is the pure part (rows → one mean/std per point); ``plot_sweep`` draws.
"""

from __future__ import annotations

import math
import os
import statistics
from pathlib import Path
from typing import Any, Sequence

from nncli.plots import draw

#: Colours before the legend stops naming every combination of the other keys.
MAX_LEGEND = 10


def number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def point_summaries(rows: Sequence[dict[str, Any]], keys: Sequence[str], metric: str) -> list[dict[str, Any]]:
    """One entry per point (the rows that differ only in their seed): its key values, and the
    metric's ``mean``, ``std`` (0 for one seed) and ``n`` over the completed runs."""
    groups: dict[tuple, list[float]] = {}
    values: dict[tuple, dict[str, Any]] = {}
    for row in rows:
        point = tuple(repr(row.get(key)) for key in keys)
        values.setdefault(point, {key: row.get(key) for key in keys})
        if row.get("status") == "completed" and number(row.get(metric)):
            groups.setdefault(point, []).append(float(row[metric]))
    summaries = []
    for point, scores in groups.items():
        spread = statistics.stdev(scores) if len(scores) > 1 else 0.0
        summaries.append({**values[point], "mean": statistics.fmean(scores), "std": spread, "n": len(scores)})
    return summaries


def _positions(values: list[Any]) -> tuple[list[float], list[str] | None, bool]:
    """x positions of a key's values: the numbers themselves (log scale when positive over a
    decade or more), else one position per distinct value with its label."""
    if all(number(value) for value in values):
        numbers = [float(value) for value in values]
        log = min(numbers) > 0 and max(numbers) / min(numbers) >= 10
        return numbers, None, log
    labels = sorted({str(value) for value in values}, key=lambda text: [str(v) for v in values].index(text))
    return [float(labels.index(str(value))) for value in values], labels, False


def plot_sweep(rows: Sequence[dict[str, Any]], keys: Sequence[str], metric: str, path: str | os.PathLike[str],
               title: str = "") -> Path:
    """Draw ``sweep.png``: ``metric`` against each of ``keys`` (see the module docstring)."""
    summaries = point_summaries(rows, keys, metric)
    panels = list(keys) or ["run"]
    figure = draw.new_figure(4.2 * len(panels), 3.6)
    axes = figure.subplots(1, len(panels), squeeze=False)[0]
    for axis, key in zip(axes, panels):
        _panel(axis, summaries, key, [other for other in keys if other != key], metric)
    draw.heading(figure, title, [f"{metric}: mean ± std over seeds", f"{len(summaries)} points"])
    return draw.save(figure, path)


def _panel(axis: Any, summaries: list[dict[str, Any]], key: str, others: list[str], metric: str) -> None:
    if not summaries or key == "run":
        axis.text(0.5, 0.5, "no completed run", ha="center", va="center", transform=axis.transAxes)
        axis.set_xlabel(key)
        return
    x, labels, log = _positions([entry[key] for entry in summaries])
    combos = list(dict.fromkeys(tuple(repr(entry[o]) for o in others) for entry in summaries))
    palette = draw.colormap("tab10" if len(combos) <= 10 else "viridis")
    for index, combo in enumerate(combos):
        members = sorted((i for i, entry in enumerate(summaries) if tuple(repr(entry[o]) for o in others) == combo),
                         key=lambda i: x[i])
        colour = palette(index % 10) if len(combos) <= 10 else palette(index / max(len(combos) - 1, 1))
        label = ", ".join(f"{o.split('.')[-1]}={summaries[members[0]][o]}" for o in others) or None
        axis.errorbar([x[i] for i in members], [summaries[i]["mean"] for i in members],
                      yerr=[summaries[i]["std"] for i in members], marker="o", capsize=3, color=colour,
                      label=label if index < MAX_LEGEND else None)
    if log:
        axis.set_xscale("log")
    distinct = sorted(set(x))
    if labels is None and not log and len(distinct) <= 8:
        axis.set_xticks(distinct, [f"{value:g}" for value in distinct])
    if labels is not None:
        axis.set_xticks(range(len(labels)), labels)
    axis.set_xlabel(key)
    axis.set_ylabel(metric)
    axis.grid(alpha=0.3)
    if others and any(axis.get_legend_handles_labels()[1]):
        axis.legend(fontsize="small")
