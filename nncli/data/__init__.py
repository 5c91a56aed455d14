"""Data: sources (a registry), file formats and tables, splitting, preprocessing, the baseline.

A *source* (``SOURCES``) turns its config keys and the run's seed into a ``Dataset``: features
``X`` of shape ``(n_samples, n_features)`` and raw labels or targets ``y``. Sources:
scikit-learn's bundled sets (digits, iris, wine, breast_cancer, diabetes), ``lfw``
(scikit-learn's downloader and cache), the TensorFlow Playground sets (circle, xor, gauss,
spiral, moons, plane, multi_gaussian) and files (csv, npz, npy; read through ``FORMATS``).

The preprocessing (scaling, label encoding) is fit on the training split only and round-trips
through plain arrays, so a run's ``model.npz`` holds it without pickle and ``predict`` takes raw
rows. scikit-learn is imported inside the functions that need it.
"""

from nncli.data.baseline import baseline
from nncli.data.formats import FORMATS, Format, Request, read_features, read_labeled
from nncli.data.preprocessing import SCALERS, Preprocessor
from nncli.data.registry import SOURCES, TASKS, Dataset, Source, SourceParams
from nncli.data.sources import sklearn, lfw, playground, files  # noqa: F401, I001  (they register, in this order)
from nncli.data.split import Split, split

__all__ = ["FORMATS", "SCALERS", "SOURCES", "TASKS", "Dataset", "Format", "Preprocessor", "Request", "Source",
           "SourceParams", "Split", "baseline", "read_features", "read_labeled", "split"]
