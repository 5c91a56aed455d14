"""The ONNX export: every component exported and run by onnxruntime (and onnx's reference
evaluator) on random raw rows, compared with nncli's own predictions of the same rows.

Weights are drawn at random (BatchNormalization statistics included) rather than trained, so
every parameter matters and the tests are fast. The scalers' state comes from scikit-learn's
scalers, an independent reference for the formulas folded into the graph.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nncli import Sequential, activations, layers
from nncli.errors import NncliError, ShapeError, UsageError

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from nncli.export import onnx as export  # noqa: E402  (after the skips)

N_FEATURES = 5
TOLERANCE = 1e-5
REPO = Path(__file__).resolve().parents[2]
#: The lowest opset, the default, the first with the Gelu op, and the newest onnxruntime runs here.
OPSETS = (export.MIN_OPSET, export.DEFAULT_OPSET, export.GELU_OPSET, 21)


# -- helpers ----------------------------------------------------------------------------------
def raw_rows(n_rows: int = 200, seed: int = 0, offsets=np.linspace(-20, 60, N_FEATURES),
             spreads=np.geomspace(1, 30, N_FEATURES)) -> np.ndarray:
    """Unscaled rows with features of different offsets and spreads, plus a few far-out rows.

    The offsets stay within a few hundred spreads: the graph's input is float32, which holds a
    feature of mean 1000 and spread 0.01 to about 1e-4 of a spread only (see the test below).
    """
    rng = np.random.default_rng(seed)
    rows = offsets + spreads * rng.normal(size=(n_rows, N_FEATURES))
    far = min(5, n_rows)
    rows[:far] = offsets + spreads * rng.choice([-6.0, 6.0], size=(far, N_FEATURES))
    return rows


def standard(X: np.ndarray) -> export.Preprocessing:
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(X)
    return export.Preprocessing("standard", {"mean": scaler.mean_, "scale": scaler.scale_})


def scaled(X: np.ndarray, preprocessing: export.Preprocessing) -> np.ndarray:
    state = preprocessing.state
    if preprocessing.scaler == "standard":
        return (X - state["mean"]) / state["scale"]
    if preprocessing.scaler == "minmax":
        return X * state["scale"] + state["min"]
    return X


def randomize(model: Sequential, seed: int = 1, weight_scale: float = 1.0) -> Sequential:
    """Random weights everywhere: kernels, biases, BN gamma/beta and moving statistics."""
    rng = np.random.default_rng(seed)
    weights = []
    for layer in model.layers:
        for name, value in zip(layer.weight_names(), layer.weights()):
            if name == "moving_variance":
                weights.append(rng.uniform(0.3, 3.0, value.shape))
            elif name == "gamma":
                weights.append(rng.uniform(0.5, 2.0, value.shape))
            else:
                weights.append(weight_scale * rng.normal(size=value.shape) / np.sqrt(max(value.shape[0], 1)))
    model.set_weights(weights)
    return model


def make_model(*stack: layers.Layer, loss: str | dict = "mse", seed: int = 1, dtype: str = "float32") -> Sequential:
    model = Sequential(list(stack), seed=seed, dtype=dtype)
    model.compile(loss=loss, optimizer="sgd")
    return randomize(model, seed)


def expected_outputs(model: Sequential, X_scaled: np.ndarray, task: str) -> np.ndarray:
    """What ``nncli predict`` shows: probabilities ([N, 2] for one sigmoid) or predictions."""
    if task == "regression":
        return model.predict(X_scaled).astype(np.float64)
    probabilities = model.predict_proba(X_scaled)
    return np.hstack([1.0 - probabilities, probabilities]) if probabilities.shape[1] == 1 else probabilities


def export_and_compare(model: Sequential, preprocessing: export.Preprocessing | None, task: str = "regression",
                       class_names=None, X: np.ndarray | None = None, runtime: str = "onnxruntime",
                       **options) -> tuple[export.Verification, object]:
    X = raw_rows() if X is None else X
    proto = export.to_onnx(model, preprocessing, task=task, class_names=class_names, **options)
    X_scaled = scaled(X, preprocessing) if preprocessing is not None else X
    result = export.verify(proto, X, expected_outputs(model, X_scaled, task), runtime=runtime)
    assert result.passed, (f"max difference {result.max_difference:.3g} (scaled {result.max_scaled_difference:.3g}), "
                           f"{result.label_mismatches} labels differ")
    return result, proto


def op_types(proto) -> list[str]:
    return [node.op_type for node in proto.graph.node]


# -- activations ------------------------------------------------------------------------------
def test_every_registered_activation_has_nodes():
    assert set(export.nodes.ACTIVATIONS) == set(activations.ACTIVATIONS.names())


@pytest.mark.parametrize("opset", OPSETS)
@pytest.mark.parametrize("activation", activations.ACTIVATIONS.names())
def test_activation_matches_predict(activation, opset):
    # The activation in a hidden layer and on the outputs, where nothing hides a wrong constant.
    model = make_model(layers.Dense(16, activation=activation, input_dim=N_FEATURES),
                       layers.Dense(3, activation=activation))
    result, _ = export_and_compare(model, standard(raw_rows()), opset=opset)
    assert result.max_scaled_difference <= TOLERANCE


@pytest.mark.parametrize("activation", activations.ACTIVATIONS.names())
def test_activation_is_stable_for_large_pre_activations(activation):
    # Weights 10x larger: pre-activations of ±100, where a naive exp overflows. Float32 rounding
    # then grows with the pre-activations (not the outputs), hence the looser tolerance.
    model = make_model(layers.Dense(3, activation=activation, input_dim=N_FEATURES))
    randomize(model, seed=3, weight_scale=10.0)
    X = raw_rows()
    preprocessing = standard(X)
    z = scaled(X, preprocessing) @ model.layers[0].kernel + model.layers[0].bias
    assert np.abs(z).max() > 50
    proto = export.to_onnx(model, preprocessing, task="regression")
    outputs = export.run(proto, X)["predictions"]
    assert np.all(np.isfinite(outputs))
    result = export.verify(proto, X, expected_outputs(model, scaled(X, preprocessing), "regression"), tolerance=1e-4)
    assert result.passed, result


@pytest.mark.parametrize("activation", ["gelu", "leaky_relu", "selu", "swish"])
def test_activation_matches_predict_in_the_reference_evaluator(activation):
    model = make_model(layers.Dense(8, activation=activation, input_dim=N_FEATURES), layers.Dense(2))
    for opset in (export.DEFAULT_OPSET, export.GELU_OPSET):
        result, _ = export_and_compare(model, standard(raw_rows()), runtime="reference", opset=opset)
        assert result.runtime.startswith("onnx.reference")


def test_keras_constants_are_set_explicitly():
    model = make_model(layers.Dense(4, activation="leaky_relu", input_dim=N_FEATURES),
                       layers.Dense(4, activation="elu"), layers.Dense(4, activation="selu"), layers.Dense(1))
    proto = export.to_onnx(model, None, task="regression")
    attributes = {node.op_type: {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
                  for node in proto.graph.node}
    assert attributes["LeakyRelu"]["alpha"] == pytest.approx(0.2)  # ONNX's default is 0.01
    assert attributes["Elu"]["alpha"] == pytest.approx(1.0)
    assert attributes["Selu"]["alpha"] == pytest.approx(1.6732632423543772)
    assert attributes["Selu"]["gamma"] == pytest.approx(1.0507009873554805)


def test_gelu_is_one_node_from_opset_20_and_erf_below():
    model = make_model(layers.Dense(4, activation="gelu", input_dim=N_FEATURES), layers.Dense(1))
    below = export.to_onnx(model, None, task="regression", opset=19)
    at = export.to_onnx(model, None, task="regression", opset=20)
    assert "Erf" in op_types(below) and "Gelu" not in op_types(below)
    assert "Gelu" in op_types(at) and "Erf" not in op_types(at)


# -- layers -----------------------------------------------------------------------------------
def test_dropout_leaves_no_node():
    model = make_model(layers.Dense(8, activation="relu", input_dim=N_FEATURES), layers.Dropout(0.5),
                       layers.Dense(2))
    _, proto = export_and_compare(model, standard(raw_rows()))
    assert "Dropout" not in op_types(proto)
    assert op_types(proto).count("Gemm") == 2


def test_batch_norm_after_a_linear_dense_is_folded_into_its_gemm():
    model = make_model(layers.Dense(8, input_dim=N_FEATURES), layers.BatchNormalization(), layers.Dropout(0.2),
                       layers.Dense(6), layers.Dropout(0.3), layers.BatchNormalization(),
                       layers.Dense(2, activation="tanh"))
    _, proto = export_and_compare(model, standard(raw_rows()))
    assert "BatchNormalization" not in op_types(proto)
    assert op_types(proto).count("Gemm") == 3


def test_batch_norm_after_an_activation_stays_a_node():
    model = make_model(layers.Dense(8, activation="relu", input_dim=N_FEATURES), layers.BatchNormalization(),
                       layers.Dense(2))
    _, proto = export_and_compare(model, standard(raw_rows()))
    assert op_types(proto).count("BatchNormalization") == 1


@pytest.mark.parametrize("opset", OPSETS)
def test_batch_norm_first_and_without_center_or_scale(opset):
    model = make_model(layers.BatchNormalization(input_dim=N_FEATURES), layers.Dense(8, activation="elu"),
                       layers.BatchNormalization(center=False), layers.Dense(8, activation="relu"),
                       layers.BatchNormalization(scale=False), layers.Dense(2))
    for runtime in ("onnxruntime", "reference"):
        export_and_compare(model, standard(raw_rows()), runtime=runtime, opset=opset)


def test_batch_norm_kept_as_a_node_when_folding_is_off():
    model = make_model(layers.Dense(8, input_dim=N_FEATURES), layers.BatchNormalization(), layers.Dense(2))
    _, proto = export_and_compare(model, standard(raw_rows()), fold_batch_norm=False)
    assert "BatchNormalization" in op_types(proto)


def test_dense_without_bias_is_a_matmul():
    model = make_model(layers.Dense(8, use_bias=False, input_dim=N_FEATURES), layers.BatchNormalization(),
                       layers.Dense(3, use_bias=False, activation="relu"), layers.Dense(1))
    _, proto = export_and_compare(model, standard(raw_rows()))
    # The folded BatchNormalization gives the first Dense a bias; the second stays a MatMul.
    assert op_types(proto).count("MatMul") == 1 and op_types(proto).count("Gemm") == 2


def test_a_float64_model_exports_as_float32():
    model = make_model(layers.Dense(8, activation="tanh", input_dim=N_FEATURES), layers.Dense(2), dtype="float64")
    _, proto = export_and_compare(model, standard(raw_rows()))
    assert proto.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT


# -- scalers ----------------------------------------------------------------------------------
def minmax(X: np.ndarray) -> export.Preprocessing:
    from sklearn.preprocessing import MinMaxScaler

    scaler = MinMaxScaler().fit(X)
    return export.Preprocessing("minmax", {"min": scaler.min_, "scale": scaler.scale_})


@pytest.mark.parametrize("make_preprocessing", [standard, minmax, lambda X: export.Preprocessing("none"), lambda X: None],
                         ids=["standard", "minmax", "none", "no-preprocessing"])
def test_each_scaler_is_folded_in(make_preprocessing):
    X = raw_rows()
    preprocessing = make_preprocessing(X)
    model = make_model(layers.Dense(8, activation="relu", input_dim=N_FEATURES), layers.Dense(2))
    if preprocessing is None or preprocessing.scaler == "none":
        randomize(model, weight_scale=0.02)  # keep raw (unscaled) inputs from saturating nothing
    export_and_compare(model, preprocessing, X=X)


def test_the_scalers_match_scikit_learn():
    from sklearn.preprocessing import MinMaxScaler, StandardScaler

    X = raw_rows()
    identity = make_model(layers.Dense(N_FEATURES, input_dim=N_FEATURES, use_bias=False))
    identity.set_weights([np.eye(N_FEATURES)])
    for preprocessing, scaler in ((standard(X), StandardScaler().fit(X)), (minmax(X), MinMaxScaler().fit(X))):
        proto = export.to_onnx(identity, preprocessing, task="regression")
        result = export.verify(proto, X, scaler.transform(X))
        assert result.max_difference <= TOLERANCE


def test_the_standard_scaler_divides_instead_of_multiplying():
    proto = export.to_onnx(make_model(layers.Dense(1, input_dim=N_FEATURES)), standard(raw_rows()), task="regression")
    assert op_types(proto)[:2] == ["Sub", "Div"]
    assert all(node.domain in ("", "ai.onnx") for node in proto.graph.node)


@pytest.mark.parametrize(
    "preprocessing, message",
    [
        (export.Preprocessing("robust", {"center": np.zeros(N_FEATURES)}), "cannot export the scaler 'robust'"),
        (export.Preprocessing("standard", {"mean": np.zeros(N_FEATURES)}), "must hold mean, scale. Received: mean"),
        (export.Preprocessing("minmax", {"min": np.zeros(N_FEATURES), "scale": np.ones(N_FEATURES),
                                         "extra": np.ones(N_FEATURES)}), "Received: extra, min, scale"),
        (export.Preprocessing("standard", {"mean": np.zeros(3), "scale": np.ones(3)}), r"shape \(5,\).*Received: shape \(3,\)"),
        (export.Preprocessing("standard", {"mean": np.zeros(N_FEATURES), "scale": np.array([1, 1, 0, 1, 1.0])}),
         "scale is 0 for feature 2"),
        (export.Preprocessing("minmax", {"min": np.full(N_FEATURES, np.nan), "scale": np.ones(N_FEATURES)}),
         "min has NaN"),
        ({"scaler": "standard"}, "must be a Preprocessing"),
    ],
)
def test_scalers_that_cannot_be_folded_exactly_are_refused(preprocessing, message):
    model = make_model(layers.Dense(1, input_dim=N_FEATURES))
    with pytest.raises(UsageError, match=message):
        export.to_onnx(model, preprocessing, task="regression")


# -- heads: binary, multiclass, logits, regression ----------------------------------------------
def balanced_binary(X: np.ndarray, preprocessing: export.Preprocessing) -> Sequential:
    """A one-sigmoid model whose output bias puts half the rows on each side of 0.5."""
    model = make_model(layers.Dense(8, activation="relu", input_dim=N_FEATURES), layers.Dense(1, activation="sigmoid"),
                       loss="binary_crossentropy")
    last = model.layers[-1]
    hidden = model.layers[0].infer(scaled(X, preprocessing).astype(np.float32))
    last.bias[...] -= np.median(hidden @ last.kernel + last.bias)
    return model


def test_binary_sigmoid_gives_two_columns_label_and_name():
    X = raw_rows()
    preprocessing = standard(X)
    model = balanced_binary(X, preprocessing)
    _, proto = export_and_compare(model, preprocessing, "classification", ["Colin Powell", "George W Bush"])
    outputs = export.run(proto, X)
    p = model.predict(scaled(X, preprocessing)).astype(np.float64)
    assert outputs["probabilities"].shape == (len(X), 2)
    np.testing.assert_allclose(outputs["probabilities"], np.hstack([1 - p, p]), atol=TOLERANCE)
    np.testing.assert_array_equal(outputs["label"], (p[:, 0] > 0.5).astype(np.int64))
    assert outputs["label"].dtype == np.int64
    assert 0 < outputs["label"].sum() < len(X), "both classes should occur for the check to mean anything"
    names = np.array(["Colin Powell", "George W Bush"])[outputs["label"]]
    assert list(outputs["label_name"]) == list(names)


def test_binary_can_keep_one_column():
    X = raw_rows()
    preprocessing = standard(X)
    model = balanced_binary(X, preprocessing)
    proto = export.to_onnx(model, preprocessing, task="classification", class_names=["no", "yes"],
                           binary_two_columns=False)
    p = model.predict(scaled(X, preprocessing)).astype(np.float64)
    assert export.verify(proto, X, p).passed
    outputs = export.run(proto, X)
    assert outputs["probabilities"].shape == (len(X), 1)
    np.testing.assert_array_equal(outputs["label"], (p[:, 0] > 0.5).astype(np.int64))
    with pytest.raises(ShapeError, match=r"shape \(200, 1\).*received shape \(200, 2\)"):
        export.verify(proto, X, np.hstack([1 - p, p]))


def test_multiclass_softmax():
    model = make_model(layers.Dense(8, activation="relu", input_dim=N_FEATURES), layers.Dense(4, activation="softmax"),
                       loss="sparse_categorical_crossentropy")
    X = raw_rows()
    names = ["setosa", "versicolor", "virginica", "ünïcode"]
    _, proto = export_and_compare(model, standard(X), "classification", names)
    outputs = export.run(proto, X)
    assert len(set(outputs["label"])) > 1
    assert list(outputs["label_name"]) == [names[i] for i in outputs["label"]]
    assert json.loads({p.key: p.value for p in proto.metadata_props}["class_names"]) == names
    labels = next(t for t in proto.graph.initializer if t.name == "labels")
    assert [s.decode() for s in labels.string_data] == names


@pytest.mark.parametrize("units, loss", [(1, {"name": "binary_crossentropy", "from_logits": True}),
                                         (3, {"name": "categorical_crossentropy", "from_logits": True}),
                                         (3, {"name": "sparse_categorical_crossentropy", "from_logits": True})])
def test_from_logits_models_get_their_probabilities_in_the_graph(units, loss):
    model = make_model(layers.Dense(8, activation="relu", input_dim=N_FEATURES), layers.Dense(units), loss=loss)
    names = ["a", "b", "c"][: max(units, 2)]
    _, proto = export_and_compare(model, standard(raw_rows()), "classification", names)
    assert ("Sigmoid" if units == 1 else "Softmax") in op_types(proto)


@pytest.mark.parametrize("n_targets", [1, 3])
def test_regression_single_and_multi_output(n_targets):
    model = make_model(layers.Dense(8, activation="tanh", input_dim=N_FEATURES), layers.Dense(n_targets))
    _, proto = export_and_compare(model, standard(raw_rows()))
    assert [output.name for output in proto.graph.output] == ["predictions"]
    outputs = export.run(proto, raw_rows())
    assert outputs["predictions"].shape == (200, n_targets)


def test_the_batch_dimension_is_symbolic():
    model = make_model(layers.Dense(4, activation="relu", input_dim=N_FEATURES), layers.Dense(2))
    proto = export.to_onnx(model, standard(raw_rows()), task="regression")
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "N" and dims[1].dim_value == N_FEATURES
    for n_rows in (1, 7, 3000):
        assert export.run(proto, raw_rows(n_rows))["predictions"].shape == (n_rows, 2)


# -- versions and metadata --------------------------------------------------------------------
@pytest.mark.parametrize("opset, ir_version", [(13, 7), (17, 8), (20, 9), (21, 10)])
def test_ir_version_is_the_lowest_that_carries_the_opset(opset, ir_version):
    # The installed onnx writes a newer IR version by default, which older runtimes refuse.
    proto = export.to_onnx(make_model(layers.Dense(1, input_dim=N_FEATURES)), None, task="regression", opset=opset)
    assert proto.ir_version == ir_version < onnx.IR_VERSION
    assert [(o.domain, o.version) for o in proto.opset_import] == [("", opset)]


def test_metadata_describes_the_model():
    model = make_model(layers.Dense(2, activation="softmax", input_dim=N_FEATURES), loss="categorical_crossentropy")
    proto = export.to_onnx(model, standard(raw_rows()), task="classification", class_names=["x", "y"])
    properties = {p.key: p.value for p in proto.metadata_props}
    assert properties["task"] == "classification" and properties["scaler"] == "standard"
    assert properties["n_features"] == str(N_FEATURES)
    assert proto.producer_name == "nncli"
    onnx.checker.check_model(proto, full_check=True)


@pytest.mark.parametrize(
    "arguments, error, message",
    [
        ({"task": "ranking"}, UsageError, "task must be one of classification, regression. Received: task='ranking'"),
        ({"task": "regression", "opset": 12}, UsageError, "opset must be an integer from 13"),
        ({"task": "regression", "opset": 999}, UsageError, r"Received: opset=999"),
        ({"task": "regression", "class_names": ["a"]}, UsageError, "class_names are for classification"),
        ({"task": "classification", "class_names": ["a", "b", "c"]}, ShapeError, "needs 2 class names"),
        ({"task": "classification"}, ShapeError, "Received: class_names=None"),
    ],
)
def test_bad_arguments_are_refused(arguments, error, message):
    model = make_model(layers.Dense(1, activation="sigmoid", input_dim=N_FEATURES), loss="binary_crossentropy")
    with pytest.raises(error, match=message):
        export.to_onnx(model, None, **arguments)


def test_an_uncompiled_classifier_is_refused():
    model = Sequential([layers.Dense(2, activation="softmax", input_dim=N_FEATURES)])
    with pytest.raises(UsageError, match="compile the model"):
        export.to_onnx(model, None, task="classification", class_names=["a", "b"])


def test_an_unbuilt_model_is_refused():
    model = Sequential([layers.Dense(2)])
    with pytest.raises(UsageError, match="not built"):
        export.to_onnx(model, None, task="regression")


def test_unknown_layers_and_activations_are_refused():
    class Square(activations.Activation):
        name = "square"

        def forward(self, z, out=None):
            return np.square(z, out=z if out is None else out)

    model = make_model(layers.Dense(2, activation=Square(), input_dim=N_FEATURES))
    with pytest.raises(UsageError, match="cannot export the activation 'square' of layer 'dense'"):
        export.to_onnx(model, None, task="regression")

    @layers.LAYERS.register("Shift")
    class Shift(layers.Layer):
        def infer(self, x):
            return x + 1

    try:
        model = make_model(layers.Dense(2, input_dim=N_FEATURES), Shift())
        with pytest.raises(UsageError, match="cannot export layer 'shift' of type Shift: the ONNX export knows Dense"):
            export.to_onnx(model, None, task="regression")
    finally:
        layers.LAYERS.remove("Shift")


# -- verifying and writing ----------------------------------------------------------------------
def classifier() -> tuple[Sequential, export.Preprocessing, np.ndarray]:
    X = raw_rows()
    model = make_model(layers.Dense(8, activation="relu", input_dim=N_FEATURES),
                       layers.Dense(3, activation="softmax"), loss="sparse_categorical_crossentropy")
    return model, standard(X), X


def test_verify_reports_a_difference_and_the_runtime():
    model, preprocessing, X = classifier()
    proto = export.to_onnx(model, preprocessing, task="classification", class_names=["a", "b", "c"])
    expected = expected_outputs(model, scaled(X, preprocessing), "classification")
    good = export.verify(proto, X, expected)
    assert good.passed and good.n_rows == len(X) and good.runtime == f"onnxruntime {ort.__version__}"
    assert 0 < good.max_difference <= TOLERANCE  # float32 rounding is there, and small
    off = expected.copy()
    off[3, 0] += 1e-3
    bad = export.verify(proto, X, off)
    assert not bad.passed and bad.max_difference == pytest.approx(1e-3, rel=0.05)
    nan = export.verify(proto, X, np.full_like(expected, np.nan))
    assert not nan.passed


def test_verify_catches_what_float32_inputs_lose(tmp_path):
    # A feature whose mean is 1e5 spreads: float32 (the input and the scaler's mean) keeps ~7
    # digits of it, so its scaled value is off by ~1e-2, while nncli predict (float64) is not.
    X = raw_rows(offsets=np.array([1000.0, 0, 0, 0, 0]), spreads=np.array([0.01, 1, 1, 1, 1]))
    model = make_model(layers.Dense(2, input_dim=N_FEATURES))
    preprocessing = standard(X)
    proto = export.to_onnx(model, preprocessing, task="regression")
    expected = expected_outputs(model, scaled(X, preprocessing), "regression")
    assert not export.verify(proto, X, expected).passed
    with pytest.raises(NncliError, match="disagrees with nncli's predictions"):
        export.write_verified(proto, tmp_path / "m.onnx", X, expected)
    assert not (tmp_path / "m.onnx").exists()


def test_verify_counts_labels_that_flip():
    model, preprocessing, X = classifier()
    proto = export.to_onnx(model, preprocessing, task="classification", class_names=["a", "b", "c"])
    swapped = expected_outputs(model, scaled(X, preprocessing), "classification")[:, [1, 0, 2]]
    result = export.verify(proto, X, swapped)
    assert result.label_mismatches > 0 and not result.passed


def test_verify_checks_its_inputs(tmp_path):
    model, preprocessing, X = classifier()
    proto = export.to_onnx(model, preprocessing, task="classification", class_names=["a", "b", "c"])
    expected = expected_outputs(model, scaled(X, preprocessing), "classification")
    with pytest.raises(ShapeError, match="X_raw has 4 features but the exported model expects 5"):
        export.verify(proto, X[:, :4], expected)
    with pytest.raises(UsageError, match="runtime must be one of auto, onnxruntime, reference"):
        export.verify(proto, X, expected, runtime="tensorrt")
    with pytest.raises(UsageError, match="cannot read the ONNX model"):
        export.verify(tmp_path / "missing.onnx", X, expected)
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\x00\x01 not a model")
    with pytest.raises(UsageError, match="not an ONNX model"):
        export.verify(junk, X, expected)


def test_the_reference_evaluator_is_used_without_onnxruntime(monkeypatch):
    model, preprocessing, X = classifier()
    proto = export.to_onnx(model, preprocessing, task="classification", class_names=["a", "b", "c"])
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime now fails
    result = export.verify(proto, X, expected_outputs(model, scaled(X, preprocessing), "classification"))
    assert result.passed and result.runtime.startswith("onnx.reference")
    with pytest.raises(UsageError, match="onnxruntime is not installed"):
        export.verify(proto, X, np.zeros((len(X), 3)), runtime="onnxruntime")


def test_write_verified_writes_a_loadable_file(tmp_path):
    model, preprocessing, X = classifier()
    proto = export.to_onnx(model, preprocessing, task="classification", class_names=["a", "b", "c"])
    path = tmp_path / "model.onnx"
    result = export.write_verified(proto, path, X, expected_outputs(model, scaled(X, preprocessing), "classification"))
    assert result.passed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]  # no temporary file left
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [o.name for o in session.get_outputs()] == ["probabilities", "label", "label_name"]
    assert onnx.load(str(path)).ir_version == proto.ir_version


def test_write_verified_leaves_nothing_behind_on_a_mismatch(tmp_path):
    model, preprocessing, X = classifier()
    proto = export.to_onnx(model, preprocessing, task="classification", class_names=["a", "b", "c"])
    wrong = expected_outputs(model, scaled(X, preprocessing), "classification") + 1e-4
    path = tmp_path / "model.onnx"
    with pytest.raises(NncliError, match=r"max difference 0\.0001 .*tolerance 1e-05\) over 200 rows.*not written") as info:
        export.write_verified(proto, path, X, wrong)
    assert info.value.exit_code == 1
    assert list(tmp_path.iterdir()) == []
    path.write_bytes(b"an older export")
    with pytest.raises(NncliError):
        export.write_verified(proto, path, X, wrong)
    assert path.read_bytes() == b"an older export"


def test_save_is_atomic_and_returns_the_path(tmp_path):
    model, preprocessing, _ = classifier()
    proto = export.to_onnx(model, preprocessing, task="classification", class_names=["a", "b", "c"])
    path = export.save(proto, tmp_path / "m.onnx")
    assert path.read_bytes() == proto.SerializeToString()
    assert [p.name for p in tmp_path.iterdir()] == ["m.onnx"]


def test_importing_nncli_does_not_import_onnx():
    code = ("import sys, nncli, nncli.cli, nncli.export, nncli.export.onnx; "
            "print(sorted(m for m in ('onnx', 'onnxruntime', 'PIL') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert result.stdout.strip() == "[]"
