"""Adding a component is one registry entry: a throwaway activation, loss, optimizer, metric,
callback, file format and picture are each registered here, used through the command line end to
end (config validation, training, evaluation, pictures), and removed again."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest

from cli_helpers import CONFIGS, invoke, write_config
from nncli.data import formats
from nncli.engine import activations, callbacks, losses, metrics, optimizers
from nncli.plots import pictures


@contextlib.contextmanager
def registered(registry, name, entry):
    registry.add(name, entry)
    try:
        yield entry
    finally:
        registry.remove(name)


def train(tmp_path: Path, *overrides: str, config: Path = CONFIGS / "iris.yaml") -> Path:
    result = invoke(["train", config, "training.epochs=3", *overrides, "--runs-dir", tmp_path / "runs", "--quiet",
                     "--no-plots"])
    assert result.exit_code == 0, result.stderr + result.stdout
    return Path(result.stdout.strip())


class HalfRelu(activations.Activation):
    """relu(z) / 2."""

    def forward(self, z, out=None):
        return np.multiply(z, 0.5 * (z > 0), out=z if out is None else out)

    def backward(self, z, a, grad_a):
        return grad_a * 0.5 * (a > 0)


def test_a_new_activation(tmp_path):
    with registered(activations.ACTIVATIONS, "half_relu", HalfRelu):
        run = train(tmp_path, "model.layers.0.activation=half_relu")
        assert "half_relu" in (run / "config.yaml").read_text()
        assert invoke(["evaluate", run]).exit_code == 0
        assert invoke(["gradcheck", run, "--samples", "8"]).exit_code == 0


class LogCosh(losses.Loss):
    """log(cosh(error)), mean over outputs: a regression loss the rules have never heard of."""

    target_kind = "regression"

    def values(self, y_true, y_pred):
        error = np.abs(y_pred - y_true.reshape(y_pred.shape))
        return (error + np.log1p(np.exp(-2 * error)) - np.log(2.0)).mean(axis=-1)  # log(cosh(e)), stable

    def gradient(self, y_true, y_pred, sample_weight=None):
        n_samples, units = y_pred.shape
        grad = np.tanh(y_pred - y_true.reshape(y_pred.shape)) / (n_samples * units)
        return grad if sample_weight is None else grad * np.asarray(sample_weight).reshape(n_samples, 1)


def test_a_new_loss_is_accepted_by_validation_and_the_rules_end_to_end(tmp_path):
    # The first wave's rule check kept its own table of losses and called this one "unknown loss".
    with registered(losses.LOSSES, "log_cosh", LogCosh):
        run = train(tmp_path, "training.loss=log_cosh", "training.reduce_lr_on_plateau=null",
                    config=CONFIGS / "diabetes.yaml")
        result = invoke(["evaluate", run, "--json"])
        assert result.exit_code == 0, result.stderr
        assert json.loads(result.stdout)["metrics"]["loss"] > 0
        wrong = invoke(["train", CONFIGS / "iris.yaml", "training.loss=log_cosh", "training.metrics=[]",
                        "--runs-dir", tmp_path])
        assert wrong.exit_code == 2 and "rule 2: classification with 3 classes needs a cross-entropy loss, got log_cosh" \
            in " ".join(wrong.stderr.split())


class Halved(optimizers.SGD):
    """SGD at half the learning rate."""

    def _constants(self, step):
        return (self.learning_rate / 2,)


def test_a_new_optimizer(tmp_path):
    with registered(optimizers.OPTIMIZERS, "halved_sgd", Halved):
        run = train(tmp_path, "training.optimizer={name: halved_sgd, learning_rate: 0.2}")
        saved = (run / "config.yaml").read_text()
        assert "halved_sgd" in saved and "learning_rate: 0.2" in saved
        bad = invoke(["train", CONFIGS / "iris.yaml", "training.optimizer.momentun=0.9", "training.optimizer.name=halved_sgd"])
        assert bad.exit_code == 2


def test_a_new_metric_with_its_direction(tmp_path):
    def error_rate(predictions):
        return float(np.mean(predictions.labels != predictions.predicted))

    metrics.metric("error_rate", direction="min", needs_classes=True)(error_rate)
    try:
        runs_dir = tmp_path / "runs"
        for learning_rate in ("0.001", "0.05"):
            train(tmp_path, "training.metrics=[accuracy,error_rate]", f"training.optimizer.learning_rate={learning_rate}",
                  f"name=lr{learning_rate}")
        history = (runs_dir / "lr0.05" / "history.csv").read_text().splitlines()[0]
        assert history.startswith("epoch,loss,accuracy,error_rate")
        listed = invoke(["runs", runs_dir, "--sort", "test_error_rate", "--json"])
        rows = json.loads(listed.stdout)
        assert rows[0]["test_error_rate"] <= rows[1]["test_error_rate"]  # lower first: its direction is "min"
        regression = invoke(["train", CONFIGS / "diabetes.yaml", "training.metrics=[error_rate]", "--runs-dir", runs_dir])
        assert regression.exit_code == 2
        assert "training.metrics.0: metric 'error_rate' needs a classification loss" in regression.stderr
    finally:
        metrics.METRICS.remove("error_rate")


class StopAt(callbacks.Callback):
    """Stop training after the epoch ``epoch`` (1-based)."""

    def __init__(self, epoch: int = 1) -> None:
        if epoch < 1:
            from nncli.errors import ConfigError

            raise ConfigError(f"epoch must be at least 1. Received: epoch={epoch}")
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 >= self.epoch:
            self.model.stop_training = True


def test_a_new_callback_is_a_config_key(tmp_path):
    with registered(callbacks.CALLBACKS, "stop_at", StopAt):
        run = train(tmp_path, "training.epochs=10", "training.stop_at={epoch: 2}")
        assert json.loads((run / "metrics.json").read_text())["epochs_completed"] == 2
        bad = invoke(["train", CONFIGS / "iris.yaml", "training.stop_at={epoch: 0}", "--runs-dir", tmp_path])
        assert bad.exit_code == 2 and "training.stop_at.epoch" in bad.stderr and "at least 1" in bad.stderr


def _json_rows(path: Path, request):
    rows = json.loads(path.read_text())
    X = np.array([row["x"] for row in rows], dtype=np.float64)
    formats.check_features(X, request.n_features, where=str(path))
    return X


def _json_labeled(path: Path, request):
    rows = json.loads(path.read_text())
    return _json_rows(path, request), np.array([row["y"] for row in rows])


def test_a_new_file_format_serves_predict_and_evaluate(tmp_path):
    run = train(tmp_path)
    with registered(formats.FORMATS, "json_rows", formats.Format((".json",), _json_rows, _json_labeled)):
        flowers = [{"x": [5.1, 3.5, 1.4, 0.2], "y": "setosa"}, {"x": [6.7, 3.0, 5.2, 2.3], "y": "virginica"}]
        (tmp_path / "flowers.json").write_text(json.dumps(flowers))
        predicted = invoke(["predict", run, "--input", tmp_path / "flowers.json"])
        assert predicted.exit_code == 0, predicted.stderr
        assert [row["label"] for row in csv.DictReader(io.StringIO(predicted.stdout))][0] == "setosa"
        evaluated = invoke(["evaluate", run, "--data", tmp_path / "flowers.json", "--json"])
        assert evaluated.exit_code == 0, evaluated.stderr
        assert json.loads(evaluated.stdout)["n_samples"] == 2


def test_a_new_picture(tmp_path):
    def draw_weights(run, path):
        from nncli.plots.draw import new_figure, save

        figure = new_figure(4, 3)
        figure.add_subplot().plot(np.sort(run.proba[:, 0]))
        return save(figure, path)

    entry = pictures.Picture("sorted_scores.png", lambda run: None if run.kind != "regression" else "no scores",
                             draw_weights)
    with registered(pictures.PICTURES, "sorted_scores", entry):
        run = train(tmp_path)
        result = invoke(["plot", run, "--what", "sorted_scores"])
        assert result.exit_code == 0, result.stderr
        assert (run / "sorted_scores.png").read_bytes()[:4] == b"\x89PNG"
        assert "sorted_scores" in invoke(["plot", run, "--what", "sorted_score"]).stderr  # closest-name suggestion


@pytest.mark.parametrize("registry", [activations.ACTIVATIONS, losses.LOSSES, optimizers.OPTIMIZERS, metrics.METRICS,
                                      callbacks.CALLBACKS, formats.FORMATS, pictures.PICTURES])
def test_entries_know_their_registry_name(registry):
    for name, entry in registry.items():
        assert getattr(entry, registry.name_attribute) == name


def test_removing_an_entry_puts_the_registry_back(tmp_path):
    before = activations.ACTIVATIONS.names()
    with registered(activations.ACTIVATIONS, "half_relu", HalfRelu):
        assert "half_relu" in activations.ACTIVATIONS
    assert activations.ACTIVATIONS.names() == before
    write_config(tmp_path, "x: 1\n")
