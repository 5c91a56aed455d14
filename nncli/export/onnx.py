"""A trained ``Sequential`` and its saved preprocessing as one ONNX graph, checked against nncli.

The graph takes raw, unscaled rows ``X`` (float32, ``[N, n_features]``, ``N`` symbolic) and
computes what ``nncli predict`` computes:

- the saved scaler, in the core domain: standard is ``Sub(mean)`` then ``Div(scale)``, minmax
  ``Mul(scale)`` then ``Add(min)``: the Preprocessor's own formulas. ``ai.onnx.ml.Scaler`` would
  multiply by ``1 / scale``, which rounds differently (skl2onnx's ``div`` option avoids it too);
- per Dense a ``Gemm`` (a ``MatMul`` without bias) and its activation, with Keras's constants set
  explicitly where ONNX's defaults differ (LeakyRelu: ONNX alpha 0.01, Keras 0.2); gelu is the
  exact one (the ``Gelu`` op from opset 20, ``0.5·x·(1 + Erf(x/√2))`` below); swish ``x·Sigmoid(x)``;
- BatchNormalization in inference form: folded into the Gemm before it when that Dense is linear
  (``BN(xW + b) = x(W·s) + (b − mean)·s + beta`` with ``s = gamma / √(variance + ε)``, exact in
  real arithmetic, computed in float64), else a ``BatchNormalization`` node (from opset 14; below,
  its formula in four nodes); Dropout leaves no node;
- classification: ``probabilities`` (float32 ``[N, n_classes]``; ``[N, 2]`` for a one-sigmoid
  binary model, as skl2onnx does, or ``[N, 1]`` with ``binary_two_columns=False``), ``label``
  (int64 index, the argmax ``nncli predict`` takes) and ``label_name`` (the class name, gathered
  from the ``labels`` string initializer, which also keeps that initializer in use: runtimes drop
  unused ones with a warning); regression: ``predictions`` (float32 ``[N, n_targets]``). A
  ``from_logits`` model gets its sigmoid/softmax in the graph. Class names are also in the
  model's metadata (``class_names``, JSON).

``ir_version`` is the lowest that carries the chosen opset (the ``onnx`` package's own table), not
the newest the installed ``onnx`` writes: a runtime refuses a model whose IR version is newer
than it knows ("Unsupported model IR version"), while the graph only needs the opset. The default
opset 17 gives IR version 8; onnxruntime 1.17, the floor of the ``export`` extra, reads up to IR
version 9 (opset 20) and was run on these graphs.

``onnx`` and ``onnxruntime`` are optional (``pip install 'nncli[export]'``) and imported inside the
functions, so importing this module costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from nncli.errors import ShapeError, UsageError

if TYPE_CHECKING:
    import onnx as onnx_package

    from nncli.engine.model import Sequential
from nncli.export.graph import (  # noqa: F401  (names of the public API re-exported)
    BATCH_DIM,
    DEFAULT_OPSET,
    GELU_OPSET,
    INPUT_NAME,
    INSTALL_HINT,
    MIN_OPSET,
    PRIMARY_OUTPUT,
    RUNTIMES,
    TASKS,
    TOLERANCE,
    ExportError,
    Preprocessing,
)
from nncli.export import graph as nodes


@dataclass(frozen=True)
class Verification:
    """How the exported model's outputs compare with the expected ones.

    Attributes
    ----------
    max_difference : float
        Largest absolute difference over every row and column (NaN when an output is NaN).
    max_scaled_difference : float
        Largest ``|actual − expected| / max(1, |expected|)``: the absolute difference for
        probabilities, the relative one for predictions beyond ±1, where float32 cannot hold
        1e-5 absolutely (its spacing at 1000 is 6e-5). ``passed`` compares this one.
    n_rows : int
    runtime : str
        What ran the model, e.g. ``"onnxruntime 1.32.0"`` or ``"onnx.reference 1.23.2"``.
    label_mismatches : int
        Rows whose ``label`` differs from the expected argmax although the expected top two
        probabilities are further apart than twice the tolerance (0 for regression).
    tolerance : float
    """

    max_difference: float
    max_scaled_difference: float
    n_rows: int
    runtime: str
    label_mismatches: int = 0
    tolerance: float = TOLERANCE

    @property
    def passed(self) -> bool:
        # Written so that a NaN difference fails.
        return bool(self.max_scaled_difference <= self.tolerance) and self.label_mismatches == 0


# -- building ---------------------------------------------------------------------------------
def to_onnx(
    model: Sequential,
    preprocessing: Preprocessing | None = None,
    *,
    task: str,
    class_names: Sequence[str] | None = None,
    opset: int = DEFAULT_OPSET,
    binary_two_columns: bool = True,
    fold_batch_norm: bool = True,
) -> onnx_package.ModelProto:
    """The ONNX graph of ``model`` with ``preprocessing`` in front of it, checked by ``onnx``.

    Parameters
    ----------
    model : Sequential
        Built (its input size known); compiled when ``task`` is classification, since its loss
        says whether the outputs are logits.
    preprocessing : Preprocessing, optional
        The scaling of raw rows (None: the graph takes scaled rows).
    task : {"classification", "regression"}
    class_names : sequence of str
        One per class (two for a one-sigmoid binary model); classification only.
    opset : int
        ONNX opset of the core domain, from 13 to the newest the installed ``onnx`` knows.
    binary_two_columns : bool
        For a one-sigmoid binary model: ``probabilities`` of shape [N, 2] (``1 − p``, ``p``, as
        ``nncli predict`` shows them) or, when False, [N, 1] (``p`` alone).
    fold_batch_norm : bool
        Fold a BatchNormalization into the linear Dense before it (False: keep it a node).

    Returns
    -------
    onnx.ModelProto
        Input ``X`` float32 [N, n_features]; outputs ``probabilities``, ``label``, ``label_name``
        (classification) or ``predictions`` (regression).

    Raises
    ------
    UsageError
        A layer, activation or scaler the export cannot express exactly, a bad task, opset or
        class names; the message names what was received.
    """
    onnx = _onnx()
    opset = _check_opset(opset, onnx)
    n_features, units = _model_dims(model)
    head = nodes._head(model, task, class_names, units)
    preprocessing = Preprocessing() if preprocessing is None else preprocessing
    graph = nodes._Graph(onnx, opset)
    values = nodes._scale(graph, preprocessing, n_features, INPUT_NAME)
    steps = nodes._inference_steps(model)
    if fold_batch_norm:
        steps = nodes._fold_batch_norms(steps)
    for step in steps:
        values = step.emit(graph, values)
    if task == "classification":
        value_infos = nodes._classifier_outputs(graph, values, units, head, binary_two_columns)
    else:
        value_infos = nodes._regression_outputs(graph, values, units)
    return nodes._model(onnx, graph, model, value_infos, n_features, head, preprocessing)


def _onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise UsageError(f"exporting to ONNX needs the onnx package, which is not installed: {INSTALL_HINT}") from None
    return onnx


def _check_opset(opset: Any, onnx: Any) -> int:
    newest = int(onnx.defs.onnx_opset_version())
    if isinstance(opset, bool) or not isinstance(opset, (int, np.integer)) or not MIN_OPSET <= opset <= newest:
        raise UsageError(
            f"opset must be an integer from {MIN_OPSET} to {newest} (the newest the installed onnx "
            f"{onnx.__version__} knows). Received: opset={opset!r}"
        )
    return int(opset)


def _model_dims(model: Any) -> tuple[int, int]:
    if not getattr(model, "built", False) or not model.layers:
        raise UsageError("the model is not built yet (its input size is unknown): fit it or give input_dim first")
    return int(model.input_dim), int(model.output_dim)


# -- running and checking ---------------------------------------------------------------------
def run(exported: Any, X_raw: Any, *, runtime: str = "auto") -> dict[str, np.ndarray]:
    """Every output of an exported model on raw rows.

    Parameters
    ----------
    exported : onnx.ModelProto, bytes, or path of a ``.onnx`` file
    X_raw : array-like, shape (n_samples, n_features)
        Unscaled rows; given to the model as float32.
    runtime : {"auto", "onnxruntime", "reference"}
        "auto" is onnxruntime when it is installed, else ``onnx.reference.ReferenceEvaluator``.

    Returns
    -------
    dict of str to ndarray
        By output name (``probabilities``, ``label``, ``label_name`` or ``predictions``).
    """
    return _run(exported, X_raw, runtime)[0]


def _run(exported: Any, X_raw: Any, runtime: str) -> tuple[dict[str, np.ndarray], str]:
    from nncli.engine import inputs

    chosen, module, runtime_name = _runtime(runtime)
    data = _model_bytes(exported)
    width = _input_width(data)
    rows = inputs.features(X_raw, np.float32, "X_raw")
    if width is not None and rows.shape[1] != width:
        raise ShapeError(f"X_raw has {rows.shape[1]} features but the exported model expects {width}")
    try:
        if chosen == "onnxruntime":
            options = module.SessionOptions()
            options.log_severity_level = 3  # errors only: they raise anyway, and stderr stays the CLI's
            session = module.InferenceSession(data, options, providers=["CPUExecutionProvider"])
            names = [output.name for output in session.get_outputs()]
            values = session.run(names, {INPUT_NAME: rows})
        else:
            from onnx.reference import ReferenceEvaluator

            evaluator = ReferenceEvaluator(module.load_from_string(data))
            names = list(evaluator.output_names)
            values = evaluator.run(None, {INPUT_NAME: rows})
    except Exception as error:  # onnxruntime's errors derive from Exception alone (InvalidArgument, Fail, ...)
        message = " ".join(str(error).split())
        raise ExportError(f"{runtime_name} could not run the exported model: {message}{_version_hint(error)}") from None
    return dict(zip(names, values)), runtime_name


def _version_hint(error: Exception) -> str:
    text = str(error)
    if "IR version" in text or "opset" in text.lower():
        return (f". An older runtime reads older opsets: export with opset {DEFAULT_OPSET} (the default, IR version 8) "
                "or upgrade the runtime")
    return ""


def verify(exported: Any, X_raw: Any, expected: Any, *, tolerance: float = TOLERANCE,
           runtime: str = "auto") -> Verification:
    """Run the exported model on raw rows and compare with what nncli predicts for them.

    Parameters
    ----------
    exported : onnx.ModelProto, bytes, or path of a ``.onnx`` file
    X_raw : array-like, shape (n_samples, n_features)
        Unscaled rows (the run's test rows, for ``nncli export``).
    expected : array-like, shape (n_samples, n_outputs)
        ``nncli predict``'s probabilities ([N, 2] for a one-sigmoid binary model; pass
        ``probabilities[:, 1:]`` for a model exported with ``binary_two_columns=False``) or its
        predictions (regression).
    tolerance : float
        For ``Verification.passed``; float32 arithmetic agrees to about 1e-6.
    runtime : {"auto", "onnxruntime", "reference"}

    Returns
    -------
    Verification
    """
    outputs, runtime_name = _run(exported, X_raw, runtime)
    primary = next(name for name in PRIMARY_OUTPUT.values() if name in outputs)
    actual = np.asarray(outputs[primary], dtype=np.float64)
    wanted = np.asarray(expected, dtype=np.float64)
    if wanted.shape != actual.shape:
        raise ShapeError(f"expected {primary} of shape {actual.shape} (the exported model's); received shape {wanted.shape}")
    difference = np.abs(actual - wanted)  # NaN stays NaN through max
    largest = float(difference.max()) if difference.size else 0.0
    scaled = float((difference / np.maximum(1.0, np.abs(wanted))).max()) if difference.size else 0.0
    mismatches = _label_mismatches(outputs["label"], wanted, tolerance) if "label" in outputs else 0
    return Verification(largest, scaled, int(len(actual)), runtime_name, mismatches, float(tolerance))


def _label_mismatches(labels: np.ndarray, probabilities: np.ndarray, tolerance: float) -> int:
    columns = np.hstack([1.0 - probabilities, probabilities]) if probabilities.shape[1] == 1 else probabilities
    ordered = np.sort(columns, axis=1)
    clear = ordered[:, -1] - ordered[:, -2] > 2 * tolerance
    return int(np.count_nonzero(clear & (np.asarray(labels) != columns.argmax(axis=1))))


def _model_bytes(exported: Any) -> bytes:
    if isinstance(exported, bytes):
        return exported
    if isinstance(exported, (str, Path)):
        path = Path(exported)
        try:
            return path.read_bytes()
        except OSError as error:
            raise UsageError(f"cannot read the ONNX model {path}: {error.strerror or error}") from None
    if hasattr(exported, "SerializeToString"):
        return exported.SerializeToString()
    raise UsageError(f"expected an onnx.ModelProto, bytes or a path to a .onnx file. Received: {type(exported).__name__}")


def _input_width(data: bytes) -> int | None:
    onnx = _onnx()
    try:
        proto = onnx.load_from_string(data)
    except Exception as error:  # protobuf's DecodeError has no stable import path
        raise UsageError(f"not an ONNX model ({type(error).__name__}: {error})") from None
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    return int(dims[1].dim_value) if len(dims) == 2 and dims[1].HasField("dim_value") else None


def _runtime(runtime: str) -> tuple[str, Any, str]:
    """(chosen runtime, its module, "name version") for ``runtime``."""
    if runtime not in RUNTIMES:
        raise UsageError(f"runtime must be one of {', '.join(RUNTIMES)}. Received: runtime={runtime!r}")
    if runtime in ("auto", "onnxruntime"):
        try:
            import onnxruntime
        except ImportError:
            if runtime == "onnxruntime":
                raise UsageError(f"onnxruntime is not installed: {INSTALL_HINT}") from None
        else:
            return "onnxruntime", onnxruntime, f"onnxruntime {onnxruntime.__version__}"
    onnx = _onnx()
    return "reference", onnx, f"onnx.reference {onnx.__version__}"


# -- writing ----------------------------------------------------------------------------------
def save(exported: Any, path: str | Path) -> Path:
    """Write the model to ``path`` atomically (a temporary file in the same folder, then
    ``os.replace``): a reader never sees half a file. Returns the path."""
    from nncli.io import atomic_write_bytes

    path = Path(path)
    atomic_write_bytes(path, _model_bytes(exported))
    return path


def write_verified(exported: Any, path: str | Path, X_raw: Any, expected: Any, *,
                   tolerance: float = TOLERANCE, runtime: str = "auto") -> Verification:
    """``verify`` the exact bytes to be written, then ``save`` them; nothing is written when
    they disagree.

    Raises
    ------
    ExportError
        The largest (scaled) difference exceeds ``tolerance``, or a confident label differs; the
        message gives the difference and says that ``path`` was not written.
    """
    data = _model_bytes(exported)
    result = verify(data, X_raw, expected, tolerance=tolerance, runtime=runtime)
    if not result.passed:
        labels = f", {result.label_mismatches} label(s) differ" if result.label_mismatches else ""
        raise ExportError(
            f"the exported model disagrees with nncli's predictions: max difference {result.max_difference:.3g} "
            f"({result.max_scaled_difference:.3g} relative to max(1, |value|), "
            f"tolerance {tolerance:g}) over {result.n_rows} rows{labels}, run with {result.runtime}; "
            f"{path} was not written"
        )
    save(data, path)
    return result
