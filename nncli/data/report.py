"""The column report: every decision about a table's columns, as data, so a user sees exactly
what the network got (``nncli train`` prints it; the run keeps it in ``model.npz``)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any


@dataclass
class ColumnReport:
    """What became of each column of a table.

    Attributes
    ----------
    where : str
        The file.
    n_rows : int
        Data rows in the file.
    target : str or None
        The target column.
    missing : {"impute", "drop"}
    numeric, categorical : list of str
        The input columns by role, in file order.
    why_categorical : dict of str -> str
        For a categorical column that was named in ``data.categorical`` or is mostly numbers: why.
    dropped : list of [column, reason]
        Columns left out.
    rows_dropped : list of [count, reason]
        Rows left out before the split.
    gaps : dict of str -> int
        Gaps of each input column, in the rows kept.
    n_train : int
        Rows of the training part, on which the rest was fitted.
    categories : dict of str -> int
        One-hot columns of each categorical column (an "other" column included).
    folded : dict of str -> int
        Rare categories folded into "other" (``data.max_categories``).
    fill : dict of str -> float or str
        The value a gap becomes (training median or most frequent value), for columns with gaps.
    indicators : list of str
        Numeric columns that got a 0/1 "was missing" column.
    n_inputs : int
        The network's input size.
    """

    where: str = ""
    n_rows: int = 0
    target: str | None = None
    missing: str = "impute"
    numeric: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)
    why_categorical: dict[str, str] = field(default_factory=dict)
    dropped: list[list[str]] = field(default_factory=list)
    rows_dropped: list[list[Any]] = field(default_factory=list)
    gaps: dict[str, int] = field(default_factory=dict)
    n_train: int = 0
    categories: dict[str, int] = field(default_factory=dict)
    folded: dict[str, int] = field(default_factory=dict)
    fill: dict[str, Any] = field(default_factory=dict)
    indicators: list[str] = field(default_factory=list)
    n_inputs: int = 0

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> ColumnReport:
        """Raises ValueError for text that is not a report."""
        value = json.loads(text)
        if not isinstance(value, dict):
            raise ValueError("not a JSON object")
        known = {f.name for f in fields(cls)}
        return cls(**{key: item for key, item in value.items() if key in known})

    def lines(self) -> list[str]:
        """The report as plain lines of text (what ``nncli train`` prints)."""
        target = f", target {self.target!r}" if self.target is not None else ""
        out = [f"columns of {_relative(self.where)}: {self.n_rows} rows{target}"]
        for count, why in self.rows_dropped:
            out.append(f"  rows left out: {count} ({why})")
        if self.numeric:
            out.append(f"  numeric ({len(self.numeric)}): {', '.join(self.numeric)}")
        if self.categorical:
            out.append(f"  categorical ({len(self.categorical)}): "
                       + ", ".join(self._categorical(name) for name in self.categorical))
        for name, why in self.dropped:
            out.append(f"  left out: {name} ({why})")
        with_gaps = {name: count for name, count in self.gaps.items() if count}
        if with_gaps:
            cells = sum(with_gaps.values())
            out.append(f"  gaps: {cells} cell{'s' if cells != 1 else ''} in {len(with_gaps)} column"
                       f"{'s' if len(with_gaps) != 1 else ''} ("
                       + ", ".join(f"{name} {count}" for name, count in with_gaps.items()) + ")")
            if self.fill:
                out.append("  gaps filled with (training median / most frequent): "
                           + ", ".join(f"{name} {_shown(value)}" for name, value in self.fill.items()))
        if self.indicators:
            out.append(f"  missing indicators ({len(self.indicators)}): {', '.join(self.indicators)}")
        one_hot = sum(self.categories.values())
        parts = [f"{len(self.numeric)} numeric"] + ([f"{one_hot} one-hot"] if self.categorical else []) \
            + ([f"{len(self.indicators)} indicator"] if self.indicators else [])
        fitted = f"; fitted on the {self.n_train} training rows" if self.n_train else ""
        out.append(f"  network input: {self.n_inputs} columns ({', '.join(parts)}){fitted}")
        return out

    def _categorical(self, name: str) -> str:
        count = self.categories.get(name)
        if count is None:
            words = []
        elif self.folded.get(name):
            words = [f"{count - 1} categories + other for {self.folded[name]} rare"]
        else:
            words = [f"{count} categories"]
        if name in self.why_categorical:
            words.append(self.why_categorical[name])
        return f"{name} ({'; '.join(words)})" if words else name


def _relative(where: str) -> str:
    """A file under the current folder by its relative path (as the user typed it, mostly)."""
    path = Path(where)
    try:
        return str(path.relative_to(Path.cwd())) if path.is_absolute() else where
    except ValueError:
        return where


def _shown(value: Any) -> str:
    return repr(value) if isinstance(value, str) else f"{value:g}"
