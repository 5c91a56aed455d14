"""A run's pictures: gathers what ``nncli.plots`` needs from a trained run and draws it.

``draw_run`` works from a run directory alone (weights, history, config: the held-out split is
rebuilt from the saved config and seed), so ``nncli plot`` can draw runs made before the
pictures existed, or redraw them after a resumed run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from nncli.plots import PlotsUnavailable, sparkline

__all__ = ["PlotsUnavailable", "draw_run", "sparkline"]


def draw_run(run_path: Path, *, what: set[str] | None = None, out_dir: Path | None = None,
             model: Any = None, prepared: Any = None) -> list[Path]:
    """Draw every picture that applies to the run (or those named in ``what``).

    Returns the written PNG paths; raises ``PlotsUnavailable`` without matplotlib.
    """
    from nncli import experiment, plots, runs

    run = runs.RunDir.open(run_path)
    if model is None or prepared is None:
        loaded = experiment.load_run(run.path)
        model = loaded.model
        prepared = experiment.prepare_data(loaded.config, None)
        config = loaded.config
    else:
        config = plots_config(run)
    history = runs.read_history(run.history) if run.history.exists() else None
    preprocessor = prepared.preprocessor
    split = "test" if prepared.X_test is not None else "train"
    X, y_raw = experiment.split_arrays(prepared, config, split)
    outputs = model.predict(X).astype(np.float64)
    if prepared.task == "classification":
        outputs = model.loss.probabilities(outputs)
        y_true = np.asarray(preprocessor.encode_y(y_raw)).reshape(-1)
    else:
        y_true = preprocessor.encode_y(y_raw)
    arguments: dict[str, Any] = dict(
        task=prepared.task, history=history, y_true=y_true, proba=outputs,
        class_names=preprocessor.class_names if prepared.task == "classification" else None,
        title=run.name,
    )
    if prepared.X_train_raw is not None and prepared.X_train_raw.shape[1] == 2 and prepared.task == "classification":
        def predict_fn(points: np.ndarray) -> np.ndarray:
            return model.predict_proba(preprocessor.transform_X(points))

        cut = len(experiment.split_arrays(prepared, config, "train")[0])
        arguments.update(
            predict_fn=predict_fn,
            X_train=prepared.X_train_raw[:cut],
            y_train=np.asarray(preprocessor.encode_y(prepared.y_train[:cut])).reshape(-1),
            X_test=prepared.X_test_raw,
            y_test=None if prepared.y_test is None else np.asarray(preprocessor.encode_y(prepared.y_test)).reshape(-1),
        )
    return plots.make_plots(out_dir or run.path, what=what, **arguments)


def plots_config(run: Any) -> dict[str, Any]:
    from nncli import config as config_module

    return config_module.load_config(run.config).to_dict()
