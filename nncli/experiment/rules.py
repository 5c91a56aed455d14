"""The lecture's mandatory rules, checked before training on the model that will be trained.

Rule 1: the first layer's input size equals the number of features (absent: taken from the
data). Rule 2: the last layer fits the task and the loss, as the loss entry says
(``Loss.target_kind``): two classes take 1 sigmoid unit with a binary loss (or 2 softmax units
with a categorical one); N classes take N softmax units with a categorical or sparse loss;
regression takes one linear unit per target with a regression loss. With ``from_logits`` the
last activation must be linear. A broken rule is a ``ConfigError`` naming the rule and the fix.
"""

from __future__ import annotations

from typing import Any

from nncli.engine.losses import LOSSES, TARGET_KINDS, Loss
from nncli.errors import ConfigError, DataError


def check_input_size(input_dim: int | None, n_features: int) -> int:
    """Rule 1; the input size to build the model with."""
    if input_dim is not None and input_dim != n_features:
        raise ConfigError(
            f"rule 1: the first layer's input size must equal the number of features; model.input_dim is "
            f"{input_dim} but the data has {n_features} features. Set model.input_dim to {n_features} or remove it "
            "to take it from the data"
        )
    return n_features


def check_output(model: Any, task: str, n_classes: int | None, n_targets: int | None) -> None:
    """Rule 2 on a built, compiled model: its last Dense layer against the task and the loss."""
    last = next((layer for layer in reversed(model.layers) if hasattr(layer, "units")), None)
    if last is None:
        raise ConfigError("rule 2: the last layer must be a Dense layer that fits the task")
    loss: Loss = model.loss
    activation = last.activation.name
    found = f"got Dense({last.units}, {activation})"
    if task == "classification":
        _check_classifier(loss, last.units, activation, n_classes, found)
    else:
        _check_regressor(loss, last.units, activation, n_targets, found)


def _names(task: str, kinds: tuple[str, ...] | None = None) -> list[str]:
    """The registered losses for ``task`` (and target kinds), for messages."""
    return [name for name, cls in LOSSES.items()
            if cls.target_kind in TARGET_KINDS[task] and (kinds is None or cls.target_kind in kinds)]


def _layer_fix(units: int, activation: str) -> str:
    return f"model.layers.-1 to {{units: {units}, activation: {activation}}}"


def _check_classifier(loss: Loss, units: int, activation: str, n_classes: int | None, found: str) -> None:
    if n_classes is None or n_classes < 2:
        raise DataError(f"classification needs at least 2 classes; the training data has {n_classes or 0}")
    from_logits = bool(getattr(loss, "from_logits", False))
    logits_note = " (from_logits: true)" if from_logits else ""
    output = "linear" if from_logits else "sigmoid" if loss.target_kind == "binary" else "softmax"
    if loss.task != "classification":
        fix = (f"training.loss to {_names('classification', ('binary',))[0]} and {_layer_fix(1, 'sigmoid')}"
               if n_classes == 2 else
               f"training.loss to {_names('classification', ('sparse',))[0]} and {_layer_fix(n_classes, 'softmax')}")
        raise ConfigError(f"rule 2: classification with {n_classes} classes needs a cross-entropy loss, got "
                          f"{loss.name}. Set {fix}")
    if loss.target_kind == "binary":
        if n_classes != 2:
            raise ConfigError(
                f"rule 2: {loss.name} is for 2 classes; the data has {n_classes}. Set training.loss to "
                f"{_names('classification', ('sparse',))[0]} and {_layer_fix(n_classes, 'softmax')}"
            )
        if (units, activation) != (1, output):
            raise ConfigError(
                f"rule 2: 2 classes with {loss.name}{logits_note} need 1 {output} unit in the last layer; "
                f"{found}. Set {_layer_fix(1, output)}{_logits_hint(activation, from_logits)}"
            )
        return
    if (units, activation) == (n_classes, output):
        return
    if n_classes == 2 and units == 1 and activation in ("sigmoid", "linear"):
        binary = _names("classification", ("binary",))[0]
        raise ConfigError(
            f"rule 2: a last layer of 1 {activation} unit needs {binary}; got {loss.name}. Set training.loss to "
            f"{binary}, or {_layer_fix(2, output)}"
        )
    raise ConfigError(
        f"rule 2: {n_classes} classes with {loss.name}{logits_note} need {n_classes} {output} units in the last layer; "
        f"{found}. Set {_layer_fix(n_classes, output)}{_logits_hint(activation, from_logits)}"
    )


def _logits_hint(activation: str, from_logits: bool) -> str:
    if activation == "linear" and not from_logits:
        return " (or keep the linear output and set from_logits: true on the loss)"
    return ""


def _check_regressor(loss: Loss, units: int, activation: str, n_targets: int | None, found: str) -> None:
    if n_targets is None or n_targets < 1:
        raise DataError(f"regression needs at least 1 target; the training data has {n_targets or 0}")
    if loss.task != "regression":
        names = _names("regression")
        raise ConfigError(f"rule 2: regression needs {', '.join(names[:-1])} or {names[-1]} as the loss; got {loss.name}. "
                          f"Set training.loss to {names[0]}")
    if (units, activation) != (n_targets, "linear"):
        plural = "s" if n_targets != 1 else ""
        raise ConfigError(
            f"rule 2: regression with {n_targets} target{plural} needs {n_targets} linear unit{plural} in the last "
            f"layer; {found}. Set {_layer_fix(n_targets, 'linear')}"
        )
