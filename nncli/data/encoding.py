"""A table's columns as the network's input: gaps imputed, categories one-hot encoded, fitted on
the training part with scikit-learn (``SimpleImputer``, ``OneHotEncoder``) and applied in NumPy
from plain arrays, so a run reads it back without pickle and ``predict`` needs no scikit-learn.

Order of the encoded columns: each input column in file order (a numeric column as one column,
a categorical one as one column per category, then "other" when rare categories were folded),
then one 0/1 column per numeric column that had gaps in the training part when
``missing_indicator`` is on (scikit-learn's ``add_indicator``).
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any, Mapping

import numpy as np

from nncli.data.columns import KINDS, MISSING_MODES, Frame, TableSchema
from nncli.data.report import ColumnReport
from nncli.data.rows import as_frame
from nncli.data.tables import Text
from nncli.errors import DataError, RunDirError, UsageError

#: Unseen values named per column in one notice.
MAX_UNSEEN_SHOWN = 5


class TableEncoder:
    """Imputation and one-hot encoding of a table's columns.

    Attributes
    ----------
    schema : TableSchema
        The input columns, their kinds and gap markers.
    medians : ndarray (n_numeric,) float64 or None
        The training median of each numeric column (None with ``missing: drop``).
    most_frequent : list of str or None
        The most frequent training value of each categorical column.
    categories : list of ndarray of str
        The categories of each categorical column that get a column of their own, sorted.
    other : list of ndarray of str
        The rare categories of each categorical column folded into its "other" column (empty
        when none are).
    indicators : list of str
        Numeric columns with a "was missing" column.
    report : ColumnReport
    """

    def __init__(self, schema: TableSchema) -> None:
        self.schema = schema
        self.medians: np.ndarray | None = None
        self.most_frequent: list[str] | None = None
        self.categories: list[np.ndarray] = []
        self.other: list[np.ndarray] = []
        self.indicators: list[str] = []
        self.report = ColumnReport()

    # -- fitting ------------------------------------------------------------------------------

    @classmethod
    def fit(cls, frame: Frame, max_categories: int | None = None, missing_indicator: bool = False) -> TableEncoder:
        """Fit on the training part's rows: medians, most frequent values, categories."""
        report = copy.deepcopy(frame.report) if frame.report is not None else ColumnReport(where=frame.where,
                                                                                            n_rows=len(frame))
        kept = []
        for index, (name, column) in enumerate(zip(frame.names, frame.columns)):
            if _gaps(column).all():
                report.dropped.append([name, "no values in the training part"])
                for role in (report.numeric, report.categorical):
                    if name in role:
                        role.remove(name)
            else:
                kept.append(index)
        if not kept:
            raise UsageError(f"{frame.where}: no input column has a value in the training part")
        frame = replace(frame, names=[frame.names[i] for i in kept], columns=[frame.columns[i] for i in kept])
        encoder = cls(replace(frame.schema(), missing=frame.options.missing))
        impute = frame.options.missing == "impute"
        numeric = [column for column in frame.columns if not isinstance(column, Text)]
        text = [column for column in frame.columns if isinstance(column, Text)]
        if numeric and impute:
            encoder._fit_numeric(np.column_stack(numeric), missing_indicator)
        if text:
            encoder._fit_categorical(text, impute, max_categories)
        report.n_train = len(frame)
        report.n_inputs = encoder.width
        names = frame.names
        report.categories = {name: len(cats) + (1 if len(other) else 0) for name, cats, other in
                             zip(encoder._names("categorical"), encoder.categories, encoder.other)}
        report.folded = {name: len(other) for name, other in zip(encoder._names("categorical"), encoder.other)
                         if len(other)}
        report.indicators = list(encoder.indicators)
        report.fill = {name: value for name, value in encoder.fill_values().items() if report.gaps.get(name)}
        report.gaps = {name: report.gaps.get(name, 0) for name in names}
        encoder.report = report
        return encoder

    def _fit_numeric(self, block: np.ndarray, missing_indicator: bool) -> None:
        from sklearn.impute import SimpleImputer

        imputer = SimpleImputer(strategy="median", add_indicator=missing_indicator).fit(block)
        self.medians = np.asarray(imputer.statistics_, dtype=np.float64)
        if missing_indicator and imputer.indicator_ is not None:
            names = self._names("numeric")
            self.indicators = [names[int(j)] for j in imputer.indicator_.features_]

    def _fit_categorical(self, columns: list[Text], impute: bool, max_categories: int | None) -> None:
        from sklearn.impute import SimpleImputer
        from sklearn.preprocessing import OneHotEncoder

        block = np.empty((len(columns[0]), len(columns)), dtype=object)
        for j, column in enumerate(columns):
            block[:, j] = np.array([*column.levels, None], dtype=object)[column.codes]
        if impute:
            imputer = SimpleImputer(strategy="most_frequent", missing_values=None).fit(block)
            self.most_frequent = [str(value) for value in imputer.statistics_]
            block = imputer.transform(block)
        one_hot = OneHotEncoder(handle_unknown="infrequent_if_exist" if max_categories else "ignore",
                                max_categories=max_categories).fit(block)
        infrequent = getattr(one_hot, "infrequent_categories_", None) or [None] * len(columns)
        for categories, rare in zip(one_hot.categories_, infrequent):
            rare = np.array([] if rare is None else [str(value) for value in rare], dtype=str)
            self.categories.append(np.array([str(value) for value in categories if str(value) not in set(rare)],
                                            dtype=str))
            self.other.append(rare)

    # -- applying -----------------------------------------------------------------------------

    @property
    def width(self) -> int:
        return len(self.output_names)

    @property
    def output_names(self) -> list[str]:
        """Names of the encoded columns: ``bill_length_mm``, ``island=Biscoe``, ``island=(other)``,
        ``bill_length_mm (missing)``."""
        names, categorical = [], 0
        for name, kind in zip(self.schema.names, self.schema.kinds):
            if kind == "numeric":
                names.append(name)
                continue
            names += [f"{name}={category}" for category in self.categories[categorical]]
            if len(self.other[categorical]):
                names.append(f"{name}=(other)")
            categorical += 1
        return names + [f"{name} (missing)" for name in self.indicators]

    def fill_values(self) -> dict[str, Any]:
        """The value a gap of each column becomes (empty with ``missing: drop``)."""
        values: dict[str, Any] = {}
        if self.medians is not None:
            values.update({name: float(v) for name, v in zip(self._names("numeric"), self.medians)})
        if self.most_frequent is not None:
            values.update(zip(self._names("categorical"), self.most_frequent))
        return {name: values[name] for name in self.schema.names if name in values}

    def transform(self, rows: Any, notices: list[str] | None = None) -> np.ndarray:
        """Raw rows (a ``Frame``, a mapping of columns, or a 2-D array of the input columns) as the
        encoded float64 matrix (n_samples, width). A category never seen in training becomes all
        zeros, with one notice per column appended to ``notices`` (when given)."""
        frame = as_frame(rows, self.schema)
        out = np.zeros((len(frame), self.width), dtype=np.float64)
        position, numeric, categorical = 0, 0, 0
        gaps_of: dict[str, np.ndarray] = {}
        for name, kind, column in zip(self.schema.names, self.schema.kinds, frame.columns):
            if kind == "numeric":
                values = np.array(column, dtype=np.float64)
                gaps = np.isnan(values)
                if gaps.any():
                    values[gaps] = self._fill(frame, name, gaps, self.medians, numeric)
                out[:, position] = values
                gaps_of[name] = gaps
                position, numeric = position + 1, numeric + 1
                continue
            width = self._one_hot(frame, name, column, categorical, out[:, position:], notices)
            position, categorical = position + width, categorical + 1
        for name in self.indicators:
            out[:, position] = gaps_of[name]
            position += 1
        return out

    def _fill(self, frame: Frame, name: str, gaps: np.ndarray, fills: Any, index: int) -> Any:
        if fills is None:
            row = int(np.flatnonzero(gaps)[0])
            raise DataError(f"{frame.where} {frame.row_word} {frame.lines[row]}, column {name!r} is a gap, and "
                            "the run was trained with data.missing: drop (it learned no value to fill in); fill the "
                            "cell, or train with data.missing: impute")
        return fills[index]

    def _one_hot(self, frame: Frame, name: str, column: Text, index: int, out: np.ndarray,
                 notices: list[str] | None) -> int:
        categories, other = self.categories[index], self.other[index]
        position = {category: j for j, category in enumerate(categories.tolist())}
        position.update({category: len(categories) for category in other.tolist()})
        lookup = np.array([position.get(level, -1) for level in column.levels] + [-2], dtype=np.int64)
        targets = lookup[column.codes]
        gaps = targets == -2
        if gaps.any():
            fill = self._fill(frame, name, gaps, self.most_frequent, index)
            targets[gaps] = position[fill]
        unseen = targets < 0
        if unseen.any():
            self._unseen_notice(frame, name, column, unseen, notices)
        rows = np.flatnonzero(~unseen)
        out[rows, targets[rows]] = 1.0
        return len(categories) + (1 if len(other) else 0)

    def _unseen_notice(self, frame: Frame, name: str, column: Text, unseen: np.ndarray,
                       notices: list[str] | None) -> None:
        codes = column.codes[unseen]
        rows = np.flatnonzero(unseen)
        values, first, counts = np.unique(codes, return_index=True, return_counts=True)
        shown = []
        for k in np.argsort(first)[:MAX_UNSEEN_SHOWN]:
            where = f"{frame.row_word} {frame.lines[rows[first[k]]]}"
            shown.append(f"{column.levels[values[k]]!r} ({where})" if counts[k] == 1
                         else f"{column.levels[values[k]]!r} ({counts[k]} rows, first on {where})")
        more = f" and {len(values) - MAX_UNSEEN_SHOWN} more" if len(values) > MAX_UNSEEN_SHOWN else ""
        if notices is not None:
            notices.append(f"warning: {frame.where}, column {name!r}: {', '.join(shown)}{more} never seen in "
                           "training: encoded as all zeros")

    def _names(self, kind: str) -> list[str]:
        return [name for name, k in zip(self.schema.names, self.schema.kinds) if k == kind]

    # -- saving -------------------------------------------------------------------------------

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """Plain arrays (numbers and unicode), keys starting with ``prefix``."""
        arrays = {
            f"{prefix}columns": np.array(self.schema.names, dtype=str),
            f"{prefix}kinds": np.array(self.schema.kinds, dtype=str),
            f"{prefix}na_values": np.array(self.schema.na_values, dtype=str),
            f"{prefix}named": np.array(self.schema.named),
            f"{prefix}missing": np.array(self.schema.missing),
            f"{prefix}indicators": np.array(self.indicators, dtype=str),
            f"{prefix}report": np.array(self.report.to_json()),
        }
        if self.medians is not None:
            arrays[f"{prefix}medians"] = self.medians.copy()
        if self.most_frequent is not None:
            arrays[f"{prefix}most_frequent"] = np.array(self.most_frequent, dtype=str)
        for index, (categories, other) in enumerate(zip(self.categories, self.other)):
            arrays[f"{prefix}categories_{index:03d}"] = categories.astype(str)
            arrays[f"{prefix}other_{index:03d}"] = other.astype(str)
        return arrays

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], prefix: str) -> TableEncoder:
        """Rebuild from ``to_arrays`` output, checking that the pieces fit together."""
        try:
            names = _strings(arrays[f"{prefix}columns"])
            kinds = _strings(arrays[f"{prefix}kinds"])
            schema = TableSchema(tuple(names), tuple(kinds), tuple(_strings(arrays[f"{prefix}na_values"])),
                                 bool(arrays[f"{prefix}named"]), str(arrays[f"{prefix}missing"][()]))
            encoder = cls(schema)
            encoder.indicators = _strings(arrays[f"{prefix}indicators"])
            encoder.report = ColumnReport.from_json(str(arrays[f"{prefix}report"][()]))
            n_numeric, n_categorical = kinds.count("numeric"), kinds.count("categorical")
            if f"{prefix}medians" in arrays:
                encoder.medians = np.asarray(arrays[f"{prefix}medians"], dtype=np.float64).reshape(-1)
            if f"{prefix}most_frequent" in arrays:
                encoder.most_frequent = _strings(arrays[f"{prefix}most_frequent"])
            for index in range(n_categorical):
                encoder.categories.append(np.asarray(_strings(arrays[f"{prefix}categories_{index:03d}"]), dtype=str))
                encoder.other.append(np.asarray(_strings(arrays[f"{prefix}other_{index:03d}"]), dtype=str))
        except (KeyError, ValueError, TypeError) as error:
            raise RunDirError(f"the saved table encoding is incomplete or damaged ({type(error).__name__}: "
                              f"{error})") from None
        problems = [
            len(names) != len(kinds) or not names,
            any(kind not in KINDS for kind in kinds),
            schema.missing not in MISSING_MODES,
            encoder.medians is not None and (encoder.medians.shape != (n_numeric,)
                                             or not np.isfinite(encoder.medians).all()),
            encoder.most_frequent is not None and len(encoder.most_frequent) != n_categorical,
            any(name not in encoder._names("numeric") for name in encoder.indicators),
            schema.missing == "impute" and ((n_numeric and encoder.medians is None)
                                            or (n_categorical and encoder.most_frequent is None)),
        ]
        if encoder.most_frequent is not None:
            problems += [value not in set(cats.tolist()) | set(other.tolist()) for value, cats, other in
                         zip(encoder.most_frequent, encoder.categories, encoder.other)]
        if any(problems):
            raise RunDirError("the saved table encoding does not fit together (columns, kinds, fill values or "
                              "categories disagree); the run's model.npz is damaged")
        return encoder


def _strings(array: np.ndarray) -> list[str]:
    array = np.asarray(array)
    if array.dtype.kind != "U":
        raise TypeError(f"expected text, got dtype {array.dtype}")
    return [str(value) for value in array.reshape(-1)]


def _gaps(column: np.ndarray | Text) -> np.ndarray:
    return column.gaps if isinstance(column, Text) else np.isnan(column)
