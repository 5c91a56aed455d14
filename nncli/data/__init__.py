"""Data: sources (a registry), file formats and tables, splitting, preprocessing, the baseline.

A *source* (``SOURCES``) turns its config keys and the run's seed into a ``Dataset``: features
``X`` of shape ``(n_samples, n_features)`` and raw labels or targets ``y``. Sources:
scikit-learn's bundled sets (digits, iris, wine, breast_cancer, diabetes), ``lfw``
(scikit-learn's downloader and cache), the TensorFlow Playground sets (circle, xor, gauss,
spiral, moons, plane, multi_gaussian) and files (csv, npz, npy; read through ``FORMATS``).

A CSV's columns may hold text and gaps: the source gives a ``Frame`` of raw columns, their roles
decided (``columns``: numeric, categorical, left out and why, in a ``ColumnReport``).

The preprocessing (for a table: imputation and one-hot encoding; scaling; label encoding) is fit
on the training split only and round-trips through plain arrays, so a run's ``model.npz`` holds
it without pickle and ``predict`` takes raw rows. scikit-learn is imported inside the functions
that need it.
"""

from nncli.data.baseline import baseline
from nncli.data.columns import NA_VALUES, Frame, TableOptions, TableSchema
from nncli.data.formats import FORMATS, Format, Request, read_features, read_labeled
from nncli.data.preprocessing import SCALERS, Preprocessor
from nncli.data.registry import SOURCES, TASKS, Dataset, Source, SourceParams
from nncli.data.report import ColumnReport
from nncli.data.sources import sklearn, lfw, playground, files  # noqa: F401, I001  (they register, in this order)
from nncli.data.split import Split, split

__all__ = ["FORMATS", "NA_VALUES", "SCALERS", "SOURCES", "TASKS", "ColumnReport", "Dataset", "Format", "Frame",
           "Preprocessor", "Request", "Source", "SourceParams", "Split", "TableOptions", "TableSchema", "baseline",
           "read_features", "read_labeled", "split"]
