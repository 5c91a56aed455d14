"""Drawing a run's pictures from what the run saved: its weights, preprocessing, history and
config (the held-out split rebuilt from the saved config and seed), so ``nncli plot`` can draw
runs made before the pictures existed, or redraw them after a resumed run."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nncli import runs
from nncli.experiment.evaluation import load_run
from nncli.experiment.prepare import prepare


@dataclass
class Drawing:
    """The pictures written, the asked-for ones that do not apply (with why), and notices."""

    drawn: list[Path]
    not_drawn: dict[str, str] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)


def draw_pictures(run_path: Path | str, *, what: Any = None, out_dir: Path | None = None,
                  result: Any = None) -> Drawing:
    """Draw every picture that applies to the run (or those named in ``what``) into ``out_dir``
    (the run directory by default); for a sweep folder, its ``sweep.png``. ``result``: a just-finished ``TrainResult`` (its model and
    data are used instead of being loaded again)."""
    from nncli import plots
    from nncli.experiment.sweep import layout as sweep_layout

    if sweep_layout.is_sweep(run_path):  # a sweep folder: its one picture, sweep.png
        from nncli.experiment.sweep.summary import draw_picture

        return Drawing([draw_picture(run_path, out_dir)])
    if result is not None:
        model, prepared, config, notices = result.model, result.prepared, result.config, []
    else:
        loaded = load_run(run_path)
        model, config, notices = loaded.model, loaded.config, list(loaded.notices)
        prepared = prepare(config, loaded.preprocessor)
    run = runs.RunDir.open(run_path)
    pictures = run_pictures(run, model, prepared, config)
    drawn, not_drawn = plots.draw_all(pictures, out_dir or run.path, what)
    return Drawing(drawn, not_drawn if what is not None else {}, notices)


def run_pictures(run: runs.RunDir, model: Any, prepared: Any, config: Any) -> Any:
    """The ``RunPictures`` of a run: its history and best epoch, its held-out predictions, and
    for two input features the points and the model over the plane."""
    from nncli.plots.pictures import RunPictures, kind_of

    history = runs.read_history(run.history) if run.history.exists() else {}
    monitor = (config.training.callbacks().get("early_stopping") or {}).get("monitor")
    best, _ = runs.best_epoch(history, monitor) if history else (None, None)
    pre = prepared.preprocessor
    split = "test" if prepared.X_test is not None else "train"
    X, y_raw = prepared.part(split)
    outputs = model.predict_proba(X)
    classifier = prepared.task == "classification"
    y_true = np.asarray(pre.encode_y(y_raw)).reshape(-1) if classifier else pre.encode_y(y_raw)
    pictures = RunPictures(kind_of(prepared.task, pre.n_classes), history, best, split, y_true, outputs,
                           pre.class_names if classifier else None, prepared.n_features, title=run.name)
    if classifier and prepared.n_features == 2:
        cut = len(prepared.part("train")[0])
        pictures.predict_fn = lambda points: model.predict_proba(pre.transform_X(points))
        pictures.X_train = prepared.X_train_raw[:cut]
        pictures.y_train = np.asarray(pre.encode_y(prepared.y_train[:cut])).reshape(-1)
        if prepared.X_test_raw is not None:
            pictures.X_test = prepared.X_test_raw
            pictures.y_test = np.asarray(pre.encode_y(prepared.y_test)).reshape(-1)
    return pictures
