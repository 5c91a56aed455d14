"""Run directories: names and new folders, the files of one run, its history, and listings.

``runs/<name>/`` holds ``config.yaml``, ``summary.txt``, ``history.csv``, ``checkpoint.npz``,
``model.npz`` and ``metrics.json`` (see ``nncli.runs.rundir``); every file but the history is
written atomically (``nncli.io``). Importing this package is cheap: no NumPy, no YAML.
"""

from nncli.runs.history import HistoryWriter, best_epoch, read_history
from nncli.runs.listing import Listing, aggregate, list_runs
from nncli.runs.lock import RunBusyError, RunLock
from nncli.runs.names import validate_run_name
from nncli.runs.rundir import RunDir, effective_status, utc_now_iso

__all__ = ["HistoryWriter", "Listing", "RunBusyError", "RunDir", "RunLock", "aggregate", "best_epoch", "effective_status", "list_runs",
           "read_history", "utc_now_iso", "validate_run_name"]
