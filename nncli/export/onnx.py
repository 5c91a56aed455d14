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

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import numpy as np

from nncli import __version__
from nncli.errors import NncliError, ShapeError, UsageError

if TYPE_CHECKING:
    import onnx as onnx_package

    from nncli.engine.model import Sequential

#: The first opset whose Softmax normalises the last axis alone, as nncli's does.
MIN_OPSET = 13
#: IR version 8: older runtimes read it too (onnxruntime 1.17 stops at IR version 9).
DEFAULT_OPSET = 17
#: From this opset the exact gelu is one ``Gelu`` node.
GELU_OPSET = 20
#: From this opset a BatchNormalization node: onnx's reference evaluator runs the opset-9 version
#: in training mode (batch statistics), so below it the inference formula is written out.
BATCH_NORM_OPSET = 14
#: Float32 agreement expected between the exported graph and ``nncli predict``.
TOLERANCE = 1e-5
INPUT_NAME = "X"
BATCH_DIM = "N"
TASKS = ("classification", "regression")
RUNTIMES = ("auto", "onnxruntime", "reference")
#: The output ``verify`` compares, by task.
PRIMARY_OUTPUT = {"classification": "probabilities", "regression": "predictions"}
INSTALL_HINT = "pip install 'nncli[export]'"


class ExportError(NncliError):
    """The exported model cannot be run, or it disagrees with nncli's predictions (exit 1)."""


@dataclass(frozen=True)
class Preprocessing:
    """The saved feature scaling as plain data: the scaler's name and its state arrays.

    Parameters
    ----------
    scaler : {"standard", "minmax", "none"}
    state : mapping of str to array of shape (n_features,)
        standard: ``mean`` and ``scale``, with X_scaled = (X − mean) / scale;
        minmax: ``min`` and ``scale``, with X_scaled = X · scale + min; none: empty.
    """

    scaler: str = "none"
    state: Mapping[str, Any] = field(default_factory=dict)


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
    head = _head(model, task, class_names, units)
    preprocessing = Preprocessing() if preprocessing is None else preprocessing
    graph = _Graph(onnx, opset)
    values = _scale(graph, preprocessing, n_features, INPUT_NAME)
    steps = _inference_steps(model)
    if fold_batch_norm:
        steps = _fold_batch_norms(steps)
    for step in steps:
        values = step.emit(graph, values)
    if task == "classification":
        value_infos = _classifier_outputs(graph, values, units, head, binary_two_columns)
    else:
        value_infos = _regression_outputs(graph, values, units)
    return _model(onnx, graph, model, value_infos, n_features, head, preprocessing)


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


# -- the scaler -------------------------------------------------------------------------------
def _standard(graph: _Graph, x: str, state: dict[str, np.ndarray]) -> str:
    if np.any(state["scale"] == 0):
        column = int(np.flatnonzero(state["scale"] == 0)[0])
        raise UsageError(f"the standard scaler's scale is 0 for feature {column}: dividing by it cannot be exported")
    centred = graph.node("Sub", [x, graph.constant("scaler_mean", state["mean"])], "centred")
    return graph.node("Div", [centred, graph.constant("scaler_scale", state["scale"])], "scaled")


def _minmax(graph: _Graph, x: str, state: dict[str, np.ndarray]) -> str:
    stretched = graph.node("Mul", [x, graph.constant("scaler_scale", state["scale"])], "stretched")
    return graph.node("Add", [stretched, graph.constant("scaler_min", state["min"])], "scaled")


#: Scaler name → (its state keys, the nodes that apply it).
SCALERS: dict[str, tuple[tuple[str, ...], Callable[[Any, str, dict], str] | None]] = {
    "standard": (("mean", "scale"), _standard),
    "minmax": (("min", "scale"), _minmax),
    "none": ((), None),
}


def _scale(graph: _Graph, preprocessing: Preprocessing, n_features: int, x: str) -> str:
    if not isinstance(preprocessing, Preprocessing):
        raise UsageError(
            f"preprocessing must be a Preprocessing(scaler, state). Received: {type(preprocessing).__name__}"
        )
    if preprocessing.scaler not in SCALERS:
        raise UsageError(
            f"cannot export the scaler {preprocessing.scaler!r}: the ONNX export knows {', '.join(SCALERS)}"
        )
    keys, apply = SCALERS[preprocessing.scaler]
    state = _scaler_state(preprocessing, keys, n_features)
    return x if apply is None else apply(graph, x, state)


def _scaler_state(preprocessing: Preprocessing, keys: tuple[str, ...], n_features: int) -> dict[str, np.ndarray]:
    received = sorted(preprocessing.state)
    if received != sorted(keys):
        raise UsageError(
            f"the {preprocessing.scaler} scaler's state must hold {', '.join(keys) or 'nothing'}. "
            f"Received: {', '.join(received) or 'nothing'}"
        )
    state = {}
    for key in keys:
        value = np.asarray(preprocessing.state[key], dtype=np.float64)
        if value.shape != (n_features,):
            raise ShapeError(
                f"the {preprocessing.scaler} scaler's {key} must have shape ({n_features},), one value per "
                f"feature of the model. Received: shape {value.shape}"
            )
        if not np.all(np.isfinite(value)):
            raise UsageError(f"the {preprocessing.scaler} scaler's {key} has NaN or infinite values")
        state[key] = value
    return state


# -- activations ------------------------------------------------------------------------------
def _linear(graph: _Graph, z: str, activation: Any) -> str:
    return z


def _single(op: str) -> Callable[[_Graph, str, Any], str]:
    def emit(graph: _Graph, z: str, activation: Any) -> str:
        return graph.node(op, [z], op.lower())

    return emit


def _softmax(graph: _Graph, z: str, activation: Any) -> str:
    return graph.node("Softmax", [z], "softmax", axis=-1)


def _leaky_relu(graph: _Graph, z: str, activation: Any) -> str:
    return graph.node("LeakyRelu", [z], "leaky_relu", alpha=float(activation.negative_slope))


def _elu(graph: _Graph, z: str, activation: Any) -> str:
    return graph.node("Elu", [z], "elu", alpha=float(activation.alpha))


def _selu(graph: _Graph, z: str, activation: Any) -> str:
    # The engine keeps Keras's SELU constants as module constants (not on the entry, as ELU does).
    from nncli.engine import activations

    return graph.node("Selu", [z], "selu", alpha=activations._SELU_ALPHA, gamma=activations._SELU_SCALE)


def _gelu(graph: _Graph, z: str, activation: Any) -> str:
    if graph.opset >= GELU_OPSET:
        return graph.node("Gelu", [z], "gelu", approximate="none")
    halved = graph.node("Mul", [z, graph.constant("half", 0.5)], "gelu_half")
    inner = graph.node("Div", [z, graph.constant("sqrt2", math.sqrt(2.0))], "gelu_inner")
    erf = graph.node("Erf", [inner], "gelu_erf")
    shifted = graph.node("Add", [erf, graph.constant("one", 1.0)], "gelu_shifted")
    return graph.node("Mul", [halved, shifted], "gelu")


def _swish(graph: _Graph, z: str, activation: Any) -> str:
    gate = graph.node("Sigmoid", [z], "swish_gate")
    return graph.node("Mul", [z, gate], "swish")


#: Activation registry name → the nodes computing it (a test checks every activation has one).
ACTIVATIONS: dict[str, Callable[[_Graph, str, Any], str]] = {
    "linear": _linear,
    "relu": _single("Relu"),
    "sigmoid": _single("Sigmoid"),
    "tanh": _single("Tanh"),
    "softmax": _softmax,
    "leaky_relu": _leaky_relu,
    "elu": _elu,
    "selu": _selu,
    "softplus": _single("Softplus"),
    "gelu": _gelu,
    "swish": _swish,
}


def _activation_nodes(layer_name: str, activation: Any) -> Callable[[_Graph, str, Any], str]:
    name = getattr(activation, "name", None)
    if name not in ACTIVATIONS:
        raise UsageError(
            f"cannot export the activation {name!r} of layer {layer_name!r}: the ONNX export knows "
            f"{', '.join(ACTIVATIONS)}"
        )
    return ACTIVATIONS[name]


# -- layers -----------------------------------------------------------------------------------
@dataclass
class _Dense:
    """``activation(x @ kernel + bias)``; the arrays in float64 until they become initializers."""

    name: str
    kernel: np.ndarray  # (n_inputs, units)
    bias: np.ndarray | None  # (units,)
    activation: Any

    def emit(self, graph: _Graph, x: str) -> str:
        apply = _activation_nodes(self.name, self.activation)
        graph.prefix = self.name
        kernel = graph.constant("kernel", self.kernel)
        if self.bias is None:
            z = graph.node("MatMul", [x, kernel], "z")
        else:
            z = graph.node("Gemm", [x, kernel, graph.constant("bias", self.bias)], "z")
        return apply(graph, z, self.activation)


@dataclass
class _BatchNorm:
    """``(x − mean) / √(variance + ε) · gamma + beta`` with the moving statistics."""

    name: str
    gamma: np.ndarray
    beta: np.ndarray
    mean: np.ndarray
    variance: np.ndarray
    epsilon: float

    @property
    def multiplier(self) -> np.ndarray:
        return self.gamma / np.sqrt(self.variance + self.epsilon)

    def emit(self, graph: _Graph, x: str) -> str:
        graph.prefix = self.name
        if graph.opset < BATCH_NORM_OPSET:
            return self._arithmetic(graph, x)
        inputs = [x] + [graph.constant(key, getattr(self, key)) for key in ("gamma", "beta", "mean", "variance")]
        return graph.node("BatchNormalization", inputs, "normalized", epsilon=self.epsilon)

    def _arithmetic(self, graph: _Graph, x: str) -> str:
        centred = graph.node("Sub", [x, graph.constant("mean", self.mean)], "centred")
        deviation = np.sqrt(self.variance + self.epsilon)
        standardized = graph.node("Div", [centred, graph.constant("deviation", deviation)], "standardized")
        scaled = graph.node("Mul", [standardized, graph.constant("gamma", self.gamma)], "scaled")
        return graph.node("Add", [scaled, graph.constant("beta", self.beta)], "normalized")


def _dense_step(layer: Any) -> _Dense:
    bias = np.asarray(layer.bias, dtype=np.float64) if layer.use_bias else None
    return _Dense(layer.name, np.asarray(layer.kernel, dtype=np.float64), bias, layer.activation)


def _batch_norm_step(layer: Any) -> _BatchNorm:
    size = len(layer.moving_mean)
    return _BatchNorm(
        name=layer.name,
        gamma=np.asarray(layer.params["gamma"], dtype=np.float64) if layer.scale else np.ones(size),
        beta=np.asarray(layer.params["beta"], dtype=np.float64) if layer.center else np.zeros(size),
        mean=np.asarray(layer.moving_mean, dtype=np.float64),
        variance=np.asarray(layer.moving_variance, dtype=np.float64),
        epsilon=float(layer.epsilon),
    )


#: Layer type → its inference-time step (None: the identity at prediction time, no node).
LAYERS: dict[str, Callable[[Any], Any] | None] = {
    "Dense": _dense_step,
    "Dropout": None,
    "BatchNormalization": _batch_norm_step,
}


def _inference_steps(model: Any) -> list[_Dense | _BatchNorm]:
    steps = []
    for layer in model.layers:
        if layer.type_name not in LAYERS:
            raise UsageError(
                f"cannot export layer {layer.name!r} of type {layer.type_name}: the ONNX export knows "
                f"{', '.join(LAYERS)}"
            )
        make = LAYERS[layer.type_name]
        if make is not None:
            steps.append(make(layer))
    return steps


def _fold_batch_norms(steps: list[_Dense | _BatchNorm]) -> list[_Dense | _BatchNorm]:
    """Each BatchNormalization right after a linear Dense merged into that Dense's weights."""
    folded: list[_Dense | _BatchNorm] = []
    for step in steps:
        previous = folded[-1] if folded else None
        if isinstance(step, _BatchNorm) and isinstance(previous, _Dense) and previous.activation.name == "linear":
            multiplier = step.multiplier
            bias = np.zeros(previous.kernel.shape[1]) if previous.bias is None else previous.bias
            folded[-1] = _Dense(
                name=f"{previous.name}_{step.name}",
                kernel=previous.kernel * multiplier,
                bias=(bias - step.mean) * multiplier + step.beta,
                activation=previous.activation,
            )
        else:
            folded.append(step)
    return folded


# -- outputs ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Head:
    """What the outputs are: the task, the class names and the activation logits still need."""

    task: str
    class_names: list[str] | None = None
    logits_activation: str | None = None  # "sigmoid"/"softmax" for a from_logits classifier


def _head(model: Any, task: str, class_names: Sequence[str] | None, units: int) -> _Head:
    if task not in TASKS:
        raise UsageError(f"task must be one of {', '.join(TASKS)}. Received: task={task!r}")
    if task == "regression":
        if class_names is not None:
            raise UsageError("class_names are for classification; a regression model has none")
        return _Head(task)
    if getattr(model, "loss", None) is None:
        raise UsageError("compile the model before exporting a classifier: its loss says whether the outputs are logits")
    n_classes = 2 if units == 1 else units
    names = [] if class_names is None else list(class_names)
    if len(names) != n_classes or not all(isinstance(name, str) for name in names):
        raise ShapeError(
            f"a classifier with {units} output unit{'s' if units > 1 else ''} needs {n_classes} class names (str). "
            f"Received: class_names={class_names!r}"
        )
    logits_activation = model.loss.fused_activation if getattr(model.loss, "from_logits", False) else None
    return _Head(task, names, logits_activation)


def _classifier_outputs(graph: _Graph, values: str, units: int, head: _Head, binary_two_columns: bool) -> list:
    onnx = graph.onnx
    graph.prefix = "output"
    if head.logits_activation is not None:
        values = ACTIVATIONS[head.logits_activation](graph, values, None)
    columns = values
    if units == 1:
        complement = graph.node("Sub", [graph.constant("one", 1.0), values], "complement")
        columns = graph.node("Concat", [complement, values], "two_columns", axis=1)
    one_column = units == 1 and not binary_two_columns
    graph.node("Identity", [values if one_column else columns], output="probabilities")
    # The argmax of [1 − p, p] is nncli predict's rule for one sigmoid: class 1 when p > 0.5.
    graph.node("ArgMax", [columns], output="label", axis=1, keepdims=0)
    labels = graph.constant("labels", np.array(head.class_names, dtype=object), tensor_name="labels")
    graph.node("Gather", [labels, "label"], output="label_name", axis=0)
    width = 1 if one_column else max(units, 2)
    return [
        onnx.helper.make_tensor_value_info("probabilities", onnx.TensorProto.FLOAT, [BATCH_DIM, width]),
        onnx.helper.make_tensor_value_info("label", onnx.TensorProto.INT64, [BATCH_DIM]),
        onnx.helper.make_tensor_value_info("label_name", onnx.TensorProto.STRING, [BATCH_DIM]),
    ]


def _regression_outputs(graph: _Graph, values: str, units: int) -> list:
    onnx = graph.onnx
    graph.node("Identity", [values], output="predictions")
    return [onnx.helper.make_tensor_value_info("predictions", onnx.TensorProto.FLOAT, [BATCH_DIM, units])]


# -- the graph --------------------------------------------------------------------------------
class _Graph:
    """Nodes and initializers under construction, with unique names (``<layer>/<what>``)."""

    def __init__(self, onnx: Any, opset: int) -> None:
        self.onnx = onnx
        self.opset = opset
        self.prefix = "input"
        self.nodes: list = []
        self.initializers: list = []
        self._taken: set[str] = {INPUT_NAME}

    def unique(self, base: str) -> str:
        name, index = f"{self.prefix}/{base}", 1
        while name in self._taken:
            index += 1
            name = f"{self.prefix}/{base}_{index}"
        self._taken.add(name)
        return name

    def constant(self, base: str, value: Any, tensor_name: str | None = None) -> str:
        """An initializer: float32 for numbers, strings for an object array."""
        array = np.asarray(value)
        if array.dtype != object:
            array = array.astype(np.float32)
        name = tensor_name or self.unique(base)
        self._taken.add(name)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def node(self, op: str, inputs: list[str], base: str | None = None, output: str | None = None,
             **attributes: Any) -> str:
        output = output or self.unique(base or op.lower())
        self._taken.add(output)
        self.nodes.append(self.onnx.helper.make_node(op, inputs, [output], name=f"{output}:{op}", **attributes))
        return output


def _model(onnx: Any, graph: _Graph, model: Any, outputs: list, n_features: int, head: _Head,
           preprocessing: Preprocessing) -> Any:
    helper = onnx.helper
    inputs = [helper.make_tensor_value_info(INPUT_NAME, onnx.TensorProto.FLOAT, [BATCH_DIM, n_features])]
    body = helper.make_graph(graph.nodes, model.name, inputs, outputs, initializer=graph.initializers,
                             doc_string=f"nncli {__version__}: raw rows in, {head.task} outputs out")
    opsets = [helper.make_opsetid("", graph.opset)]
    proto = helper.make_model(body, opset_imports=opsets, ir_version=helper.find_min_ir_version_for(opsets),
                              producer_name="nncli", producer_version=__version__)
    properties = {"task": head.task, "n_features": str(n_features), "scaler": preprocessing.scaler,
                  "nncli_version": __version__}
    if head.class_names is not None:
        properties["class_names"] = json.dumps(head.class_names, ensure_ascii=False)
    helper.set_model_props(proto, properties)
    try:
        onnx.checker.check_model(proto, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as error:
        raise ExportError(f"the ONNX model nncli built does not pass onnx's checker (a bug in nncli): {error}") from None
    return proto


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
