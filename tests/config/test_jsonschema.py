"""Tests of nncli.config.jsonschema: the shipped schema is the generated one, it is draft-07, it
accepts every shipped config and every run's config.yaml, and it says yes or no where nncli does."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bad_configs import BAD_CONFIGS, BASE, DENSE_0, DROPOUT_1, LAYERS_BLOCK, OPTIMIZER, edit
from cli_helpers import ARCHITECTURES, CONFIGS, train_run
from nncli.config import ConfigValidationError, load_config
from nncli.config.jsonschema import DRAFT_07, config_schema, schema_text
from nncli.config.reader import parse_yaml, read_mapping
from nncli.data import SCALERS, SOURCES
from nncli.engine import activations, initializers, layers, losses, metrics, optimizers, regularizers
from nncli.errors import NncliError

jsonschema = pytest.importorskip("jsonschema")

SCHEMA_FILE = CONFIGS / "nncli.schema.json"
MODELINE = "# yaml-language-server: $schema="
SCHEMA = config_schema()


def validator(definition: str | None = None) -> Any:
    """A draft-07 validator of the whole schema, or of one of its definitions."""
    schema = SCHEMA if definition is None else {"definitions": SCHEMA["definitions"],
                                                 "$ref": f"#/definitions/{definition}"}
    return jsonschema.Draft7Validator(schema)


def read(path: Path) -> Any:
    """A YAML file as nncli reads it (``1e-3`` is a number, as in YAML 1.2 editors)."""
    tree, _ = read_mapping(path, str(path), "a mapping")
    return tree


# -- the shipped file ----------------------------------------------------------------------------------
def test_the_shipped_schema_is_the_generated_one():
    fresh = schema_text()
    if SCHEMA_FILE.read_text(encoding="utf-8") != fresh:
        SCHEMA_FILE.write_text(fresh, encoding="utf-8")
        pytest.fail(f"{SCHEMA_FILE} was stale and has been written again (what `nncli schema --output "
                    f"configs/nncli.schema.json` writes): review the change and commit it")


def test_it_is_draft_07_with_nothing_beside_a_reference():
    assert SCHEMA["$schema"] == DRAFT_07 == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(SCHEMA)
    text = json.dumps(SCHEMA)
    for later_keyword in ('"$defs"', '"prefixItems"', '"$anchor"', '"unevaluatedProperties"', '"dependentSchemas"'):
        assert later_keyword not in text
    for node in _schemas(SCHEMA):
        if "$ref" in node:  # draft-07 ignores a reference's siblings: they would be lost
            assert list(node) == ["$ref"], node
            assert node["$ref"].startswith("#/definitions/") and node["$ref"].split("/")[-1] in SCHEMA["definitions"]


def test_the_top_level_is_the_experiment_and_closed():
    assert SCHEMA["type"] == "object" and SCHEMA["additionalProperties"] is False
    assert list(SCHEMA["properties"]) == ["name", "seed", "data", "model", "training"]
    assert SCHEMA["required"] == ["data", "model", "training"]


def test_every_key_has_a_description_and_every_optional_key_its_default():
    for node in _schemas(SCHEMA):
        required = set(node.get("required", []))
        for key, prop in node.get("properties", {}).items():
            if prop == {}:
                continue  # a branch's placeholder for a key the section describes
            referred = SCHEMA["definitions"][prop["$ref"].split("/")[-1]] if "$ref" in prop else {}
            assert prop.get("description") or referred.get("description"), f"{key} has no description"
            if key not in required:
                assert "default" in prop, f"{key} has no default"


def test_the_defaults_are_the_configs_defaults():
    training = SCHEMA["definitions"]["training"]["properties"]
    assert training["optimizer"]["default"] == {"name": "rmsprop"}  # a default_factory, filled in
    assert training["batch_size"]["default"] == 32
    assert SCHEMA["definitions"]["data"]["properties"]["test_size"]["default"] == 0.25
    adam = _branch("optimizer", "adam")
    assert adam["properties"]["learning_rate"]["default"] == 0.001
    assert adam["properties"]["epsilon"]["default"] == 1e-7


# -- names, from the registries -----------------------------------------------------------------------------
REGISTRIES = [activations.ACTIVATIONS, initializers.INITIALIZERS, regularizers.REGULARIZERS, losses.LOSSES,
              optimizers.OPTIMIZERS, metrics.METRICS, layers.LAYERS, SOURCES, SCALERS]


def _definition_of(registry) -> str:
    return registry.kind.replace(" ", "_") + "_name"


@pytest.mark.parametrize("registry", REGISTRIES, ids=[registry.kind for registry in REGISTRIES])
def test_the_names_enumerated_are_the_registrys_names_and_aliases(registry):
    enum = SCHEMA["definitions"][_definition_of(registry)]["anyOf"][0]["enum"]
    assert enum == registry.names() + list(registry.aliases())


def _spellings(registry) -> st.SearchStrategy[str]:
    """A registry's names and aliases in random letter case, with blanks, sometimes one letter off."""
    known = st.sampled_from(registry.names() + list(registry.aliases()))
    recased = st.tuples(known, st.randoms()).map(
        lambda pair: "".join(c.upper() if pair[1].random() < 0.5 else c for c in pair[0]))
    padded = st.tuples(st.sampled_from(["", " ", "\t"]), known | recased, st.sampled_from(["", " "])).map("".join)
    mistyped = st.tuples(known, st.integers(0, 30), st.sampled_from(["", "x", "_"])).map(
        lambda t: t[0][:t[1]] + t[2] + t[0][t[1] + 1:])
    return known | recased | padded | mistyped


@pytest.mark.parametrize("registry", REGISTRIES, ids=[registry.kind for registry in REGISTRIES])
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_a_name_is_accepted_exactly_when_the_registry_accepts_it(registry, data):
    spelling = data.draw(_spellings(registry))
    assert validator(_definition_of(registry)).is_valid(spelling) == (spelling in registry), spelling


# -- every shipped config, and every run's config.yaml -----------------------------------------------------------
def _shipped() -> list[Path]:
    return sorted(CONFIGS.glob("*.yaml")) + sorted(ARCHITECTURES.glob("*.yaml"))


@pytest.mark.parametrize("path", _shipped(), ids=lambda path: path.relative_to(CONFIGS).as_posix())
def test_every_shipped_config_names_the_schema_on_its_first_line_and_follows_it(path):
    first_line = path.read_text(encoding="utf-8").splitlines()[0]
    assert first_line.startswith(MODELINE), first_line
    target, _, fragment = first_line[len(MODELINE):].partition("#")
    assert (path.parent / target).resolve() == SCHEMA_FILE.resolve()
    assert fragment == ("/definitions/architecture" if path.parent == ARCHITECTURES else "")
    errors = list(validator("architecture" if fragment else None).iter_errors(read(path)))
    assert not errors, [error.message for error in errors]


@pytest.mark.parametrize("config", sorted(path.name for path in CONFIGS.glob("*.yaml")))
def test_every_runs_config_follows_it(tmp_path, request, config):
    overrides = []
    if config == "lfw.yaml":  # trained on the tiny fake cache, whose people have 1 to 4 pictures
        overrides = [f"data.data_home={request.getfixturevalue('fake_lfw').data_home}", "data.min_faces_per_person=3"]
    run = train_run(tmp_path, config, *overrides)
    errors = list(validator().iter_errors(read(run / "config.yaml")))
    assert not errors, [error.message for error in errors]


# -- the schema says no where nncli does ----------------------------------------------------------------------
#: Bad configs of the shared table that a schema cannot see, and why; nncli still refuses them.
BEYOND_A_SCHEMA = {
    "name_with_slash": "the run-name rule is a validator of ExperimentSchema",
    "units_negative": "Dense checks units > 0 in its constructor",
    "dropout_rate_one": "Dropout checks its rate in its constructor",
    "learning_rate_zero": "optimizers check learning_rate > 0 in their constructors",
    "regularizer_negative": "regularizers check their factors in their constructors",
    "monitor_needs_validation": "a val_ monitor needs training.validation_split: a rule between two keys",
}


def _readable_bad_configs() -> Iterator[Any]:
    """The table's configs that are YAML nncli reads, wrong in the file itself (no overrides)."""
    for case in BAD_CONFIGS:
        name, text, overrides, key, _ = case
        if overrides:
            continue
        try:
            tree, _ = parse_yaml(text, "config")
        except NncliError:
            continue  # not YAML nncli reads (tags, syntax, duplicates): the reader's business
        if isinstance(tree, dict):
            yield pytest.param(name, text, key, id=name)


@pytest.mark.parametrize("name, text, key", list(_readable_bad_configs()))
def test_a_known_bad_config_is_refused_by_the_schema_at_the_key_nncli_names(tmp_path, name, text, key):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigValidationError):
        load_config(path)
    tree = read(path)
    blamed = {found for error in validator().iter_errors(tree) for found in _blamed_keys(error)}
    if name in BEYOND_A_SCHEMA:
        assert not blamed, f"the schema now refuses {name}: take it out of BEYOND_A_SCHEMA"
        return
    shorthand = key.removesuffix(".name")  # `optimizer: sgdd` is {name: sgdd} to nncli, a name to the schema
    if key.endswith(".name") and isinstance(_at(tree, shorthand), str):
        key = shorthand
    assert key in blamed, f"schema blames {sorted(blamed)}, nncli {key}"


def test_most_known_bad_configs_are_seen_by_the_schema():
    readable = [param.values[0] for param in _readable_bad_configs()]
    assert set(BEYOND_A_SCHEMA) <= set(readable)
    assert len(readable) - len(BEYOND_A_SCHEMA) >= 35


def _blamed_keys(error: Any) -> Iterator[str]:
    """The dotted keys an error is about, down the alternatives it failed (anyOf's context)."""
    for inner in error.context or []:
        yield from _blamed_keys(inner)
    path = ".".join(str(part) for part in error.absolute_path)
    join = (lambda key: f"{path}.{key}" if path else str(key))
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set(error.schema.get("properties", {}))
        yield from (join(key) for key in error.instance if key not in known)
    elif error.validator == "required" and isinstance(error.instance, dict):
        yield from (join(key) for key in error.validator_value if key not in error.instance)
    else:
        yield path


# Small changes of the shared BASE config, each accepted or refused by nncli and the schema alike.
VALIDATION = "  validation_split: 0.0"
AGREEMENT = [
    ("optimizer_shorthand", edit(OPTIMIZER, "  optimizer: adam", False), True),
    ("optimizer_alias_in_capitals", edit(OPTIMIZER, "  optimizer: {name: ADAM, beta_1: 0.8}", False), True),
    ("sgd_takes_momentum", edit(OPTIMIZER, "  optimizer: {name: SGD, momentum: 0.9, nesterov: true}", False), True),
    ("adam_takes_no_momentum", edit(OPTIMIZER, "  optimizer: {name: adam, momentum: 0.9}", False), False),
    ("optimizer_as_a_list", edit(OPTIMIZER, "  optimizer: [adam]", False), False),
    ("loss_alias", edit("  loss: sparse_categorical_crossentropy", "  loss: SparseCategoricalCrossentropy", False),
     True),
    ("loss_alias_lowered_is_no_name", edit("  loss: sparse_categorical_crossentropy",
                                           "  loss: sparsecategoricalcrossentropy", False), False),
    ("loss_mapping", edit("  loss: sparse_categorical_crossentropy", "  loss: {name: scce, from_logits: false}",
                          False), True),
    ("loss_mapping_without_name", edit("  loss: sparse_categorical_crossentropy", "  loss: {from_logits: true}",
                                       False), False),
    ("one_metric_as_text", edit("  metrics: [accuracy]", "  metrics: acc", False), True),
    ("metrics_as_a_mapping", edit("  metrics: [accuracy]", "  metrics: {accuracy: true}", False), False),
    ("activation_in_other_case", edit(DENSE_0, "    - {type: Dense, units: 8, activation: ReLU}", False), True),
    ("activation_null", edit(DENSE_0, "    - {type: Dense, units: 8, activation: null}", False), True),
    ("layer_type_alias", edit(DENSE_0, "    - {type: dense, units: 8, activation: relu}", False), True),
    ("dense_takes_no_rate", edit(DENSE_0, "    - {type: Dense, units: 8, rate: 0.1}", False), False),
    ("dropout_takes_no_units", edit(DROPOUT_1, "    - {type: Dropout, rate: 0.1, units: 3}", False), False),
    ("regularizer_mapping", edit(DENSE_0, "    - {type: Dense, units: 8, kernel_regularizer: {name: l1_l2, l1: 0.01}}",
                                 False), True),
    ("regularizer_argument_of_another", edit(DENSE_0, "    - {type: Dense, units: 8, kernel_regularizer: "
                                                      "{name: l2, l1: 0.01}}", False), False),
    ("early_stopping_true", edit(VALIDATION, "  validation_split: 0.2\n  early_stopping: true", False), True),
    ("early_stopping_false", edit(VALIDATION, "  early_stopping: false", False), True),
    ("early_stopping_arguments", edit(VALIDATION, "  validation_split: 0.2\n  early_stopping: "
                                                  "{monitor: val_accuracy, patience: 3}", False), True),
    ("early_stopping_a_number", edit(VALIDATION, "  early_stopping: 3", False), False),
    ("monitor_not_reported", edit(VALIDATION, "  validation_split: 0.2\n  early_stopping: {monitor: val_acuracy}",
                                  False), False),
    ("class_weight_by_index", edit(VALIDATION, "  class_weight: {0: 1.0, 1: 2.0, 2: 0.5}", False), True),
    ("class_weight_balanced", edit(VALIDATION, "  class_weight: balanced", False), True),
    ("source_in_capitals", edit("  source: iris", "  source: IRIS", False), True),
    ("scaler_in_other_case", edit("  scaler: standard", "  scaler: MinMax", False), True),
    ("source_with_its_keys", edit("  source: iris", "  source: circle\n  n_samples: 200\n  noise: 0.1", False), True),
    ("source_with_keys_of_another", edit("  source: iris", "  source: iris\n  n_samples: 200", False), False),
    ("learning_rate_in_e_notation", edit(OPTIMIZER, "  optimizer: {name: adam, learning_rate: 1e-3}", False), True),
    ("model_as_a_path", BASE.replace("model:\n  input_dim: 4\n  layers:\n" + LAYERS_BLOCK, "model: arch.yaml\n"),
     True),
    ("model_as_a_blank_path", BASE.replace("model:\n  input_dim: 4\n  layers:\n" + LAYERS_BLOCK, "model: ' '\n"),
     False),
    ("model_as_a_number", BASE.replace("model:\n  input_dim: 4\n  layers:\n" + LAYERS_BLOCK, "model: 3\n"), False),
]


@pytest.mark.parametrize("text, accepted", [pytest.param(t, a, id=name) for name, t, a in AGREEMENT])
def test_the_schema_and_nncli_agree(tmp_path, text, accepted):
    (tmp_path / "arch.yaml").write_text("layers:\n" + LAYERS_BLOCK.replace("    -", "  -"), encoding="utf-8")
    path = tmp_path / "experiment.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        load_config(path)
        nncli_accepts = True
    except ConfigValidationError:
        nncli_accepts = False
    assert nncli_accepts == accepted
    errors = [error.message for error in validator().iter_errors(read(path))]
    assert (not errors) == accepted, errors


# -- helpers ---------------------------------------------------------------------------------------------------
def _at(tree: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        tree = tree.get(part) if isinstance(tree, dict) else None
    return tree


def _branch(definition: str, name: str) -> dict:
    """The ``then`` of ``definition``'s branch for the entry ``name``."""
    mapping = SCHEMA["definitions"][definition]["anyOf"][1]
    for branch in mapping["allOf"]:
        if re.match(branch["if"]["properties"]["name"]["pattern"], name):
            return branch["then"]
    raise KeyError(name)


def _schemas(node: Any) -> Iterator[dict]:
    """Every schema object inside ``node`` (values of properties and definitions, items, branches...)."""
    if isinstance(node, dict):
        yield node
        for key, value in node.items():
            if key in ("properties", "definitions"):
                for inner in value.values():
                    yield from _schemas(inner)
            elif key in ("enum", "const", "default", "required", "if"):
                continue  # values, or a branch's condition (which says no more than the name)
            else:
                yield from _schemas(value)
    elif isinstance(node, list):
        for inner in node:
            yield from _schemas(inner)
