"""One run of a sweep as a unit of work: what is sent to a worker (``Task``), what comes back
(``Outcome``), and training it — the same code in the sweep's own process, in a local worker
process and on a Dask worker.

A task carries its resolved config as a plain tree (``Config.to_dict()``: the typed config holds
pydantic models built at run time, which do not pickle) and the key of its data section; the
arrays travel beside it, prepared once per distinct data section by the sweep's process.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nncli.errors import NncliError, TrainingInterrupted
from nncli.experiment.sweep import layout
from nncli.experiment.sweep.points import canonical


@dataclass(frozen=True)
class Task:
    """One run to train: its folder name, resolved config tree, data key, and whether a failed
    run is to be tried again."""

    name: str
    config: dict[str, Any]
    data_key: str
    retry_failed: bool = False


@dataclass
class Outcome:
    """What became of a task.

    ``status`` is the run's: ``completed``, ``failed``, ``interrupted``; or ``busy`` when another
    process holds the run (it is asked again later). ``trained`` says whether this sweep trained
    (or resumed) it now; a run found completed or failed is not trained again. ``files`` holds the
    run directory's files when a Dask worker trained it elsewhere.
    """

    name: str
    status: str
    trained: bool
    reason: str | None = None
    seconds: float = 0.0
    files: dict[str, bytes] = field(default_factory=dict)


def data_key(config_tree: dict[str, Any]) -> str:
    """Runs with the same key share their prepared data: the data section and the seed (a
    playground source draws its points from the seed)."""
    return canonical({"data": config_tree["data"], "seed": config_tree["seed"]})


def for_run(shared: Any, config: Any) -> Any:
    """The shared prepared data with this run's validation split (the only training key it reads)."""
    prepared = copy.copy(shared)
    prepared.validation_split = config.training.validation_split
    return prepared


def run_task(task: Task, sweep_dir: Path, prepared: Any, callbacks: list = (), interrupt: Any = None) -> Outcome:
    """Claim the task's run folder in ``sweep_dir`` and, holding its lock, train or resume it (or
    say why not: completed, failed, busy)."""
    claim = layout.claim(sweep_dir / task.name, task.retry_failed)
    if claim.lock is None:
        return Outcome(task.name, claim.action, False, claim.reason)
    try:
        return train_task(task, sweep_dir / task.name, claim.action, prepared, callbacks, interrupt)
    finally:
        claim.release()


def train_task(task: Task, run_path: Path, action: str, prepared: Any, callbacks: list = (),
               interrupt: Any = None) -> Outcome:
    """Train (``action="train"``) or resume the run at ``run_path``, whose lock the caller holds.
    Failures become the outcome (the run's metrics.json says so too); nothing is raised but
    what stops the process itself."""
    from nncli.config import Config
    from nncli.experiment.training import resume_claimed, train_claimed

    config = Config.from_values(task.config)
    data = for_run(prepared, config)
    started = time.perf_counter()
    status, reason = "completed", None
    try:
        if action == "resume":
            resume_claimed(run_path, callbacks=list(callbacks), interrupt=interrupt, prepared=data)
        else:
            train_claimed(config, run_path, callbacks=list(callbacks), interrupt=interrupt, prepared=data)
    except (TrainingInterrupted, KeyboardInterrupt) as error:
        status, reason = "interrupted", str(error) or "interrupted"
    except NncliError as error:
        status, reason = "failed", str(error)
    except Exception as error:  # a bug or the machine (memory, disk): the sweep goes on
        status, reason = "failed", f"{type(error).__name__}: {error}"
    return Outcome(task.name, status, True, reason, time.perf_counter() - started)
