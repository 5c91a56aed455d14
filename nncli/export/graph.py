"""The building blocks of an exported graph: the scaler's nodes, one emitter per activation
(with Keras's constants), Dense and BatchNormalization steps (folded where exact), the outputs,
and the graph under construction. ``nncli.export.onnx`` puts them together and checks the result.
"""


from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import numpy as np

from nncli import __version__
from nncli.errors import NncliError, ShapeError, UsageError

if TYPE_CHECKING:

    pass

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
