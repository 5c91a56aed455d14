"""A trained run leaving nncli: ``export_run`` writes it as ONNX (checked against nncli's own
predictions before the file is written), ``gradcheck_target`` proves a config's or a run's
gradients against finite differences, ``predict_photos`` asks an LFW run about face photos."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nncli import io
from nncli.errors import UsageError
from nncli.experiment.evaluation import LoadedRun, load_run
from nncli.experiment.prepare import checked_model, prepare, targets


@dataclass
class Exported:
    """The ONNX file written and how its outputs compare with nncli's on the run's rows."""

    path: Path
    verification: Any
    opset: int
    notices: list[str] = field(default_factory=list)


def export_run(run_path: Path | str, *, output: Path | None = None, opset: int | None = None,
               binary_two_columns: bool = True) -> Exported:
    """Write the run as ONNX (``RUN/model.onnx`` by default) after running the exported graph on
    the run's test rows (raw, unscaled; the training rows when it has no test part) and comparing
    them with nncli's predictions; a mismatch raises and writes nothing."""
    from nncli.export import onnx as export

    loaded = load_run(run_path)
    pre = loaded.preprocessor
    if pre.encoding_steps:
        raise UsageError(f"{loaded.run.path} cannot be exported: its network reads columns made by "
                         f"{'; '.join(pre.encoding_steps)}, which the ONNX graph does not include "
                         "(export covers scaling and the network; encode the rows before ONNX reads them)")
    opset = export.DEFAULT_OPSET if opset is None else opset
    proto = export.to_onnx(loaded.model, export.Preprocessing(pre.scaler, pre.scaler_state), task=pre.task,
                           class_names=pre.class_names, opset=opset, binary_two_columns=binary_two_columns)
    prepared = prepare(loaded.config, pre)
    X_raw = prepared.X_test_raw if prepared.X_test_raw is not None else prepared.X_train_raw
    X_raw = np.asarray(X_raw, dtype=np.float64)
    X_raw = X_raw[~np.isnan(X_raw).any(axis=1)]   # the graph does not impute gaps: check complete rows
    if len(X_raw) == 0:
        raise UsageError(f"{loaded.run.path} cannot be exported: every row it could be verified on has a gap")
    expected = loaded.predict_proba(X_raw)
    if pre.task == "classification" and loaded.model.output_dim == 1 and not binary_two_columns:
        expected = expected[:, 1:]
    path = Path(output) if output is not None else loaded.run.path / "model.onnx"
    verification = export.write_verified(proto, path, X_raw, expected)
    return Exported(path, verification, opset, list(loaded.notices))


def gradcheck_target(target: Path | str, *, samples: int = 32, dtype: str = "float64") -> Any:
    """``nncli.engine.gradcheck`` on ``samples`` training rows of a config (a fresh model) or a
    run (its trained weights)."""
    from nncli.config import load_config
    from nncli.engine.gradcheck import gradcheck

    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise UsageError(f"--samples must be a positive integer. Received: {samples!r}")
    target = Path(target)
    if io.is_folder(target, "config or run directory"):
        loaded = load_run(target)
        model, prepared = loaded.model, prepare(loaded.config, loaded.preprocessor)
    else:
        config = load_config(target)
        prepared = prepare(config)
        model, _ = checked_model(config, prepared)
    X, y_raw = prepared.part("train")
    return gradcheck(model, X[:samples], targets(prepared.preprocessor, y_raw[:samples], model.loss), dtype=dtype)


def is_photo_input(inputs: Any) -> bool:
    """True when ``predict --input`` names images: an image file, a folder, or a glob pattern."""
    from nncli.data.faces import IMAGE_SUFFIXES

    text = str(inputs)
    if text == "-":
        return False
    return any(char in text for char in "*?[") or io.is_folder(text, "input") or Path(text).suffix.lower() in IMAGE_SUFFIXES


def predict_photos(loaded: LoadedRun, inputs: Any) -> tuple[np.ndarray, list[str]]:
    """Feature rows of face photos for a run trained on the ``lfw`` source (its resize, crop and
    colour), and the image files in row order."""
    from nncli.data.faces import read_faces

    data = loaded.config.data
    if data.source != "lfw":
        raise UsageError(f"{inputs}: photos can only be asked of a run trained on the lfw source; "
                         f"{loaded.run.path} was trained on {data.source!r} (give it rows as CSV, .npy or .npz)")
    return read_faces(inputs, resize=data.resize, slice_=data.slice_, color=data.color)
