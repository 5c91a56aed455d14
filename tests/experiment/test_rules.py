"""The lecture's mandatory rules, checked on the model that will train (nncli.experiment.rules)."""

from __future__ import annotations

import inspect

import pytest

from nncli import Sequential, layers, losses
from nncli.errors import ConfigError, DataError
from nncli.experiment.rules import check_input_size, check_output


def rules(**overrides):
    """Check the lecture's rules on a model of a 713-feature input (the LFW set-up by default)."""
    arguments = dict(input_dim=None, n_features=713, last_units=1, last_activation="sigmoid",
                     loss="binary_crossentropy", task="classification", n_classes=2, n_targets=None, from_logits=False)
    arguments.update(overrides)
    size = check_input_size(arguments["input_dim"], arguments["n_features"])
    model = Sequential([layers.Dense(4, activation="relu", input_dim=size),
                        layers.Dense(arguments["last_units"], activation=arguments["last_activation"])])
    loss = losses.LOSSES[arguments["loss"]]
    accepts_logits = "from_logits" in inspect.signature(loss).parameters
    model.compile(loss=loss(from_logits=arguments["from_logits"]) if accepts_logits else loss(), optimizer="adam")
    check_output(model, arguments["task"], arguments["n_classes"], arguments["n_targets"])
    return size


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"input_dim": 713},
        {"last_units": 2, "last_activation": "softmax", "loss": "sparse_categorical_crossentropy"},
        {"last_units": 2, "last_activation": "softmax", "loss": "categorical_crossentropy"},
        {"last_units": 5, "last_activation": "softmax", "loss": "categorical_crossentropy", "n_classes": 5},
        {"last_activation": "linear", "from_logits": True},
        {"last_units": 3, "last_activation": None, "loss": "sparse_categorical_crossentropy", "n_classes": 3, "from_logits": True},
        {"task": "regression", "last_activation": "linear", "loss": "mse", "n_targets": 1, "n_classes": None},
        {"task": "regression", "last_units": 2, "last_activation": None, "loss": "huber", "n_targets": 2},
        {"task": "regression", "last_activation": "linear", "loss": "mean_absolute_error", "n_targets": 1},
    ],
)
def test_setups_that_fit_the_rules_pass(overrides):
    assert rules(**overrides) == 713


def test_rule_1_input_size():
    with pytest.raises(ConfigError, match=r"rule 1: .*model.input_dim is 712 but the data has 713 features.*Set model.input_dim to 713"):
        rules(input_dim=712)


def test_rule_2_the_lecture_example_message():
    with pytest.raises(ConfigError) as caught:
        rules(last_units=8, last_activation="softmax")
    assert str(caught.value) == (
        "rule 2: 2 classes with binary_crossentropy need 1 sigmoid unit in the last layer; got Dense(8, softmax). "
        "Set model.layers.-1 to {units: 1, activation: sigmoid}"
    )


@pytest.mark.parametrize(
    "overrides, pattern",
    [
        ({"loss": "binary_crossentropy", "n_classes": 3}, r"binary_crossentropy is for 2 classes; the data has 3.*units: 3, activation: softmax"),
        ({"loss": "sparse_categorical_crossentropy", "n_classes": 3, "last_units": 2, "last_activation": "softmax"},
         r"3 classes with sparse_categorical_crossentropy need 3 softmax units.*got Dense\(2, softmax\)"),
        ({"loss": "categorical_crossentropy"}, r"1 sigmoid unit needs binary_crossentropy"),
        ({"loss": "mse"}, r"classification with 2 classes needs a cross-entropy loss, got mse"),
        ({"last_activation": "linear"}, r"need 1 sigmoid unit.*or keep the linear output and set from_logits: true"),
        ({"from_logits": True}, r"binary_crossentropy \(from_logits: true\) need 1 linear unit in the last layer; got Dense\(1, sigmoid\)"),
        ({"task": "regression", "n_targets": 1, "loss": "mse"}, r"regression with 1 target needs 1 linear unit.*got Dense\(1, sigmoid\).*activation: linear"),
        ({"task": "regression", "n_targets": 1, "last_activation": "linear"}, r"regression needs mse, mae or huber as the loss; got binary_crossentropy"),
        ({"task": "regression", "n_targets": 3, "loss": "mae", "last_activation": "linear"}, r"3 targets needs 3 linear units"),
    ],
)
def test_rule_2_mismatches_name_the_rule_and_the_fix(overrides, pattern):
    with pytest.raises(ConfigError, match=pattern) as caught:
        rules(**overrides)
    assert str(caught.value).startswith("rule 2: ") and "Set " in str(caught.value)
    assert caught.value.exit_code == 2


def test_rules_need_two_classes():
    with pytest.raises(DataError, match="at least 2 classes"):
        rules(n_classes=1)

