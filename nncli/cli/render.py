"""Tables for people: final metrics beside the baseline, the runs list fitted to the terminal,
predictions as CSV or JSON. Everything here formats; nothing computes results."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

BASELINE_WORDS = {"majority_class": "baseline: always predict the split's most frequent class",
                  "mean_predictor": "baseline: always predict the training targets' mean"}


def number(value: Any) -> str:
    """A table cell: a float as ``format_number`` writes it, ``-`` for missing."""
    from nncli.engine.progress import format_number

    if value is None:
        return "-"
    return format_number(value) if isinstance(value, float) else str(value)


def metrics_table(final: dict[str, dict[str, float]], baseline: dict[str, dict[str, Any]], title: str) -> Any:
    """Rows: metrics; columns: each split, with the baseline beside it."""
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    table.add_column("metric", no_wrap=True)
    splits = list(final)
    for split in splits:
        table.add_column(split, justify="right")
        table.add_column(f"{split} baseline", justify="right", style="dim")
    names: list[str] = []
    for split in splits:
        names += [n for n in final[split] if n not in names]
    for metric in names:
        row = [metric]
        for split in splits:
            value = final[split].get(metric)
            base = baseline.get(split, {}).get(metric)
            row += [number(value), "" if base is None else number(float(base))]
        table.add_row(*row)
    first = next((b for b in baseline.values() if b), None)
    if first:
        note = BASELINE_WORDS.get(first.get("kind"), "")
        if len(baseline) == 1 and first.get("class"):
            note += f" ({first['class']})"
        table.caption = note
    return table


# --------------------------------------------------------------------------- nncli runs
def runs_table(listing: Any, width: int, columns: list[str] | None = None, title: str = "",
               aggregated: bool = False) -> tuple[Any, list[str]]:
    """(the runs as a Rich table that fits ``width`` columns, the columns left out).

    The name column is never cut. By default the columns are the status, the epochs and the
    metrics the runs' configs asked for (test first, then validation, then training), a loss
    sparkline and the creation time, added in order of importance while they fit.
    """
    from rich.table import Table

    from nncli.runs.listing import metric_columns

    rows = listing.rows
    chosen = ["name", *(["runs"] if aggregated else []), *(columns or [])]
    if columns is None:
        metrics = metric_columns(listing)
        wanted = ["status", *metrics[:1], "epochs", *metrics[1:], "loss curve", "created"]
        chosen, left_out = _fitting(chosen, wanted, rows, width, aggregated)
    else:
        left_out = []
    order = ["name", "runs", "status", "epochs"]
    shown = sorted(chosen, key=lambda c: (order.index(c) if c in order else len(order) + (c == "loss curve")
                                          + 2 * (c == "created")))
    table = Table(title=title or None, title_justify="left")
    for column in shown:
        numeric = column not in ("name", "status", "loss curve", "created")
        table.add_column(column, justify="right" if numeric else "left", no_wrap=True,
                         overflow="fold" if column == "name" else "ellipsis")
    for row in rows:
        table.add_row(*[_cell(row, column, aggregated) for column in shown])
    return table, left_out


def _fitting(chosen: list[str], wanted: list[str], rows: list[dict], width: int,
             aggregated: bool) -> tuple[list[str], list[str]]:
    used = sum(_width(rows, column, aggregated) + 3 for column in chosen) + 1
    kept = list(chosen)
    for index, column in enumerate(wanted):  # in order of importance: the first that does not fit ends it
        need = _width(rows, column, aggregated) + 3
        if used + need > width:
            return kept, [c for c in wanted[index:] if c not in ("loss curve", "created")]
        kept.append(column)
        used += need
    return kept, []


def _width(rows: list[dict], column: str, aggregated: bool) -> int:
    return max([len(column), *(len(_cell(row, column, aggregated)) for row in rows)])


def _cell(row: dict[str, Any], column: str, aggregated: bool) -> str:
    from nncli.plots.compute import sparkline

    if column == "epochs":
        return f"{row.get('epochs_completed') or 0}/{row.get('epochs_planned') or '?'}"
    if column == "loss curve":
        return sparkline(row.get("history_loss") or [], 16)
    if column == "created":
        return str(row.get("created") or "").replace("T", " ").rstrip("Z")[:16]
    value = row.get(column)
    spread = row.get(f"{column}_std") if aggregated else None
    if isinstance(value, float) and isinstance(spread, float):
        return f"{number(value)} ± {number(spread)}"
    return number(value)


def runs_csv(rows: list[dict[str, Any]], keys: list[str]) -> str:
    """Every run as one CSV row with every key (lists left out)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=keys, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: ("" if row.get(key) is None else row.get(key)) for key in keys})
    return buffer.getvalue()


# --------------------------------------------------------------------------- nncli predict
def predictions(result: dict[str, Any], output_format: str, proba: bool) -> str:
    """``label`` (and ``p_<class>`` with ``proba``) per row, or ``prediction`` values; CSV or JSON."""
    rows: list[dict[str, Any]] = []
    names = result.get("row_names")
    if result["task"] == "classification":
        classes = result["class_names"]
        for label, probabilities in zip(result["labels"], result["probabilities"]):
            row: dict[str, Any] = {"label": label}
            if proba:
                row.update({f"p_{name}": float(p) for name, p in zip(classes, probabilities)})
            rows.append(row)
    else:
        for values in result["outputs"]:
            if len(values) == 1:
                rows.append({"prediction": float(values[0])})
            else:
                rows.append({f"prediction_{i}": float(v) for i, v in enumerate(values)})
    if names is not None:
        rows = [{"file": name, **row} for name, row in zip(names, rows)]
    if output_format == "json":
        return json.dumps(rows, indent=2) + "\n"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else ["label"], lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
    return buffer.getvalue()


# --------------------------------------------------------------------------- nncli gradcheck
def gradcheck_table(report: Any, title: str) -> Any:
    """One row per layer and weight tensor: entries checked, largest errors, pass or fail."""
    from rich.table import Table

    table = Table(title=title, title_justify="left", caption=f"pass: {report.tolerance}")
    for column, justify in (("layer", "left"), ("tensor", "left"), ("shape", "left"), ("checked", "right"),
                            ("max abs error", "right"), ("max rel error", "right"), ("result", "left")):
        table.add_column(column, justify=justify, no_wrap=column in ("layer", "result"))
    for row in report.rows:
        checked = f"{row.n_checked}/{row.n_entries}" if row.sampled else str(row.n_checked)
        table.add_row(row.layer, row.tensor, "x".join(map(str, row.shape)), checked, f"{row.max_abs_error:.1e}",
                      f"{row.max_rel_error:.1e}", "ok" if row.passed else "FAILED")
    return table
