"""The Keras reference tables of ``test_keras_reference.py`` cover every registered entry: a new
activation, loss, optimizer, initializer or regularizer without a reference fails here, by name.
(Entries registered by other tests are removed again, so the registries hold the shipped ones.)"""

from __future__ import annotations

import pytest

import test_keras_reference as reference
from nncli.engine import activations, initializers, losses, optimizers, regularizers


def shipped(registry) -> set[str]:
    return {registry.canonical(name) for name in registry.names()}


def test_every_activation_has_a_reference_formula():
    assert shipped(activations.ACTIVATIONS) - set(reference.REFERENCE_ACTIVATIONS) == set()


@pytest.mark.parametrize("name", sorted(shipped(losses.LOSSES)))
def test_every_loss_has_a_reference_formula_and_gradient_case(name):
    assert callable(getattr(reference, f"reference_{name}", None)), f"no reference_{name} in test_keras_reference"
    with_gradient = {identifier if isinstance(identifier, str) else identifier["name"]
                     for _, identifier, _ in reference.GRADIENT_CASES}
    # sparse labels: test_sparse_categorical_crossentropy_gradient_equals_dense_one
    assert name in with_gradient | {"sparse_categorical_crossentropy"}


def test_every_optimizer_has_update_rule_cases_and_keras_defaults():
    classes = {type(optimizers.get(name)).__name__ for name in shipped(optimizers.OPTIMIZERS)}
    assert classes - {case[0] for case in reference.OPTIMIZER_CASES} == set()
    assert classes - set(reference.KERAS_DEFAULTS) == set()


def test_every_initializer_has_a_target_distribution_or_constant():
    assert shipped(initializers.INITIALIZERS) - set(reference.INITIALIZER_TARGETS) == {"zeros", "ones"}


def test_every_regularizer_has_a_penalty_gradient_case():
    marks = reference.test_regularizer_gradient_is_the_derivative_of_the_keras_penalty.pytestmark
    identifiers = next(mark.args[1] for mark in marks if mark.name == "parametrize")
    names = {identifier if isinstance(identifier, str) else identifier["name"] for identifier, _ in identifiers}
    assert shipped(regularizers.REGULARIZERS) - names == set()
