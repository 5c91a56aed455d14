"""Tests of nncli.config: safe reading, schema validation with file:line:key errors, overrides,
shorthands, model files and the round trip of the resolved config."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bad_configs import BAD_CONFIGS, BASE, expected_line
from nncli import config as config_module
from nncli import layers, losses, optimizers
from nncli.config import ConfigValidationError, load_any, load_architecture, load_config, parse_override
from nncli.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def write(folder: Path, text: str, name: str = "experiment.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# -- the table of bad configs ---------------------------------------------------------------------
def test_the_table_is_large_and_ids_are_unique():
    ids = [case[0] for case in BAD_CONFIGS]
    assert len(ids) >= 30
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("case", BAD_CONFIGS, ids=[case[0] for case in BAD_CONFIGS])
def test_bad_config_is_refused_with_its_location_and_key(tmp_path, case):
    _, text, overrides, key, substring = case
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, overrides)
    error = info.value
    assert isinstance(error, ConfigValidationError)
    matching = [problem for problem in error.errors if substring in problem.message]
    assert matching, f"{substring!r} not in:\n{error}"
    problem = matching[0]
    assert problem.key == key
    if key is not None:
        assert f" {key}: " in str(error)
    line = expected_line(text)
    failing_override = next((o for o in overrides if problem.file == f"override {o!r}"), None)
    if overrides and failing_override is not None:
        assert problem.line is None
        assert f"override {failing_override!r}" in str(error)
    else:
        assert problem.file == str(path)
        assert problem.line == line
        where = f"{path}:{line}" if line is not None else f"{path}:"
        assert where in str(error)
    assert "Traceback" not in str(error)


def test_every_problem_is_reported_at_once(tmp_path):
    text = BASE.replace("seed: 0", "sed: 0").replace("units: 8, activation: relu", "units: -3, activation: rellu")
    text = text.replace("batch_size: 16", "batch_size: 0").replace("[accuracy]", "[accuracy, aucc]")
    path = write(tmp_path, text)
    with pytest.raises(ConfigValidationError) as info:
        load_config(path)
    keys = {problem.key for problem in info.value.errors}
    assert {"sed", "model.layers.0.units", "model.layers.0.activation", "training.batch_size",
            "training.metrics.1"} <= keys
    assert len(str(info.value).splitlines()) == len(info.value.errors)


def test_the_message_reads_like_the_issue_example(tmp_path):
    path = write(tmp_path, BASE.replace("- {type: Dense, units: 3, activation: softmax}",
                                         "- {type: Dense, units: 3, activation: rellu}"))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}:13 model.layers.2.activation: unknown activation 'rellu'; "
                                      "did you mean 'relu'?")


# -- safe reading ---------------------------------------------------------------------------------------
def test_python_tags_execute_nothing(tmp_path):
    marker = tmp_path / "marker"
    text = f"name: !!python/object/apply:os.system ['touch {marker}']\n"
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=r"experiment\.yaml:1: unsupported YAML tag"):
        load_config(path)
    with pytest.raises(ConfigError, match="unsupported YAML tag"):
        load_config(write(tmp_path, BASE, "ok.yaml"), [f"name=!!python/object/apply:os.system ['touch {marker}']"])
    assert not marker.exists()


def test_alias_bomb_is_refused_quickly(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]  # 10**10 values
    with pytest.raises(ConfigError, match="expands to more than 10,000 values"):
        load_config(write(tmp_path, "\n".join(lines) + "\n"))


def test_recursive_alias_and_deep_nesting_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="nested"):
        load_config(write(tmp_path, "a: &x [*x]\n"))
    with pytest.raises(ConfigError, match="nested"):
        load_config(write(tmp_path, "a: " + "[" * 3000 + "]" * 3000 + "\n"))


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml")
    with pytest.raises(ConfigError, match="is a folder, not a file"):
        load_config(tmp_path)


def test_syntax_error_names_line_and_column(tmp_path):
    path = write(tmp_path, "name: demo\ndata: {source: iris\nseed: 0\n")
    with pytest.raises(ConfigValidationError) as info:
        load_config(path)
    (problem,) = info.value.errors
    assert problem.line is not None and problem.line >= 2
    assert "column" in problem.message and "YAML syntax error" in problem.message


def test_not_utf8_is_refused(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="UTF-8"):
        load_config(path)


def test_merge_keys_and_aliases_work(tmp_path):
    text = BASE.replace("  layers:\n", "  layers:\n    - &hidden {type: Dense, units: 8, activation: relu}\n"
                                       "    - {<<: *hidden, units: 4}\n")
    config = load_config(write(tmp_path, text))
    first, second = config.model.layers[:2]
    assert (first["units"], second["units"]) == (8, 4)
    assert second["activation"] == "relu"


# -- valid configs, defaults, shorthands ----------------------------------------------------------------
def test_defaults_are_filled_from_the_schema(tmp_path):
    text = """
    data: {source: iris}
    model:
      layers: [{type: Dense, units: 3, activation: softmax}]
    training:
      loss: sparse_categorical_crossentropy
    """
    config = load_config(write(tmp_path, textwrap.dedent(text), "tiny.yaml"))
    values = config.to_dict()
    assert values["name"] == "tiny" and values["seed"] == 0
    assert values["data"] == {"source": "iris", "test_size": 0.25, "split_seed": 0, "stratify": False, "scaler": "standard"}
    training = values["training"]
    assert (training["batch_size"], training["epochs"], training["validation_split"], training["shuffle"]) == (32, 1, 0.0, True)
    assert training["optimizer"]["name"] == "rmsprop"  # Keras's compile() default
    assert training["optimizer"]["learning_rate"] == 0.001 and training["optimizer"]["rho"] == 0.9
    assert values["model"]["layers"][0]["kernel_initializer"] == "glorot_uniform"
    assert values["model"]["layers"][0]["bias_initializer"] == "zeros"


def test_shorthands_expand_and_take_overrides(tmp_path):
    text = BASE.replace("  optimizer: {name: adam, learning_rate: 0.01}", "  optimizer: adam")
    text = text.replace("  loss: sparse_categorical_crossentropy", "  loss: categorical_crossentropy")
    config = load_config(write(tmp_path, text), ["training.optimizer.learning_rate=0.05",
                                                 "training.loss.label_smoothing=0.1"])
    assert config.training.optimizer == {"name": "adam", "learning_rate": 0.05, "beta_1": 0.9, "beta_2": 0.999,
                                       "epsilon": 1e-7, "amsgrad": False}
    assert config.training.loss == {"name": "categorical_crossentropy", "from_logits": False, "label_smoothing": 0.1}
    optimizer = optimizers.get(config.training.optimizer)
    assert isinstance(optimizer, optimizers.Adam) and optimizer.learning_rate == 0.05
    assert losses.get(config.training.loss).label_smoothing == 0.1


def test_aliases_are_canonicalized(tmp_path):
    text = BASE.replace("type: Dropout", "type: dropout").replace("[accuracy]", "[acc]")
    config = load_config(write(tmp_path, text.replace("{name: adam,", "{name: Adam,")))
    assert config.model.layers[1]["type"] == "Dropout"
    assert config.training.metrics == ["accuracy"]
    assert config.training.optimizer["name"] == "adam"


def test_helpers_give_what_the_engine_takes(tmp_path):
    config = load_config(write(tmp_path, BASE))
    built = [layers.from_config(layer) for layer in config.model.layers]
    assert [layer.type_name for layer in built] == ["Dense", "Dropout", "Dense"]
    assert config.model.model_dump()["input_dim"] == 4
    source, params, common = config.data.source, config.data.params.model_dump(), config.data.common.model_dump()
    assert (source, params) == ("iris", {})
    assert common == {"source": "iris", "test_size": 0.25, "split_seed": 3, "stratify": False, "scaler": "standard"}
    assert config.base_dir == tmp_path.resolve()
    assert config.data is not None and config.training is not None and config.dtype == "float32"
    assert config.training.callbacks() == {}


def test_callbacks_switched_on_get_all_their_arguments(tmp_path):
    text = BASE.replace("  validation_split: 0.0", "  validation_split: 0.2\n  early_stopping: true\n"
                                                     "  reduce_lr_on_plateau: {factor: 0.5}")
    callbacks = load_config(write(tmp_path, text)).training.callbacks()
    assert callbacks["early_stopping"]["monitor"] == "val_loss" and callbacks["early_stopping"]["patience"] == 0
    assert callbacks["reduce_lr_on_plateau"]["factor"] == 0.5
    assert callbacks["reduce_lr_on_plateau"]["patience"] == 10


def test_class_weight_forms(tmp_path):
    path = write(tmp_path, BASE)
    assert load_config(path, ["training.class_weight=balanced"]).training.class_weight == "balanced"
    weights = load_config(path, ["training.class_weight={0: 1.0, 2: 3}"]).training.class_weight
    assert weights == {0: 1.0, 2: 3.0}
    weights = load_config(path, ["training.class_weight.1=2.5"]).training.class_weight
    assert weights == {1: 2.5}
    # A config saved through JSON has text keys; they still mean class indices.
    weights = load_config(path, ["training.class_weight={'0': 1.5}"]).training.class_weight
    assert weights == {0: 1.5}
    with pytest.raises(ConfigError, match="training.class_weight"):
        load_config(path, ["training.class_weight={0: -1.0}"])


def test_every_shipped_config_is_valid():
    paths = sorted((REPO / "configs").rglob("*.yaml"))
    assert paths
    for path in paths:
        if "data" in path.relative_to(REPO / "configs").parts:
            continue
        config = load_any(path)
        assert config.model.model_dump()["layers"], path


# -- overrides ---------------------------------------------------------------------------------------
def test_overrides_set_create_and_are_recorded(tmp_path):
    overrides = ["model.layers.0.units=32", "training.metrics=[accuracy,auc]", "training.optimizer.beta_1=0.95",
                 "training.validation_split=0.1", "training.early_stopping.patience=3", "model.layers.-1.units=3",
                 "seed=7"]
    config = load_config(write(tmp_path, BASE), overrides)
    assert config.model.layers[0]["units"] == 32
    assert config.training.metrics == ["accuracy", "auc"]
    assert config.training.optimizer["beta_1"] == 0.95
    assert config.training.callbacks()["early_stopping"]["patience"] == 3
    assert config.seed == 7
    assert config.overrides == tuple(overrides)


def test_override_switching_optimizer_then_setting_its_argument(tmp_path):
    config = load_config(write(tmp_path, BASE), ["training.optimizer=sgd", "training.optimizer.momentum=0.9"])
    assert config.training.optimizer == {"name": "sgd", "learning_rate": 0.01, "momentum": 0.9, "nesterov": False}


def test_override_of_an_absent_optimizer_starts_from_the_default(tmp_path):
    text = BASE.replace("  optimizer: {name: adam, learning_rate: 0.01}\n", "")
    config = load_config(write(tmp_path, text), ["training.optimizer.learning_rate=0.01"])
    assert config.training.optimizer["name"] == "rmsprop" and config.training.optimizer["learning_rate"] == 0.01


def test_parse_override():
    assert parse_override("model.layers.0.units=32") == (["model", "layers", "0", "units"], 32)
    assert parse_override("training.metrics=[accuracy, auc]") == (["training", "metrics"], ["accuracy", "auc"])
    assert parse_override("name=a=b") == (["name"], "a=b")
    assert parse_override("training.class_weight=") == (["training", "class_weight"], None)


def test_override_value_errors_name_the_override_not_the_file(tmp_path):
    path = write(tmp_path, BASE)
    with pytest.raises(ConfigValidationError) as info:
        load_config(path, ["training.batch_size=0"])
    (problem,) = info.value.errors
    assert problem.file == "override 'training.batch_size=0'" and problem.line is None
    assert str(problem).startswith("override 'training.batch_size=0' training.batch_size: must be greater than 0")


# -- model: as a path, architecture files ------------------------------------------------------------------
ARCHITECTURE = """\
input_dim: 4
layers:
  - {type: Dense, units: 8, activation: relu}
  - {type: Dense, units: 3, activation: softmax}
"""


def _with_model_file(tmp_path: Path, architecture: str) -> Path:
    (tmp_path / "architectures").mkdir()
    write(tmp_path / "architectures", architecture, "mlp.yaml")
    text = BASE.split("model:\n")[0] + "model: architectures/mlp.yaml\ntraining:\n" + BASE.split("training:\n")[1]
    return write(tmp_path, text)


def test_model_as_a_path_is_inlined(tmp_path):
    config = load_config(_with_model_file(tmp_path, ARCHITECTURE), ["model.layers.0.units=16"])
    model = config.to_dict()["model"]
    assert isinstance(model, dict) and model["input_dim"] == 4
    assert [layer["units"] for layer in model["layers"]] == [16, 3]


def test_errors_in_a_model_file_name_that_file_and_line(tmp_path):
    path = _with_model_file(tmp_path, ARCHITECTURE.replace("activation: relu", "activation: rellu"))
    with pytest.raises(ConfigValidationError) as info:
        load_config(path)
    (problem,) = info.value.errors
    assert problem.file == str(tmp_path / "architectures" / "mlp.yaml")
    assert (problem.line, problem.key) == (3, "model.layers.0.activation")


def test_missing_model_file_points_at_the_model_key(tmp_path):
    text = BASE.split("model:\n")[0] + "model: nowhere.yaml\ntraining:\n" + BASE.split("training:\n")[1]
    with pytest.raises(ConfigValidationError) as info:
        load_config(write(tmp_path, text))
    (problem,) = info.value.errors
    assert (problem.line, problem.key) == (8, "model") and "not found" in problem.message


def test_load_architecture_and_load_any(tmp_path):
    arch_path = write(tmp_path, ARCHITECTURE, "arch.yaml")
    architecture = load_architecture(arch_path)
    assert architecture.kind == "architecture" and architecture.data is None
    assert architecture.model.model_dump()["input_dim"] == 4
    assert load_any(arch_path).to_dict() == architecture.to_dict()
    assert load_any(write(tmp_path, BASE)).kind == "experiment"
    with pytest.raises(ConfigError, match="neither an experiment config"):
        load_any(write(tmp_path, "something: 1\n", "other.yaml"))
    with pytest.raises(ConfigValidationError) as info:
        load_architecture(write(tmp_path, ARCHITECTURE.replace("units: 8", "units: -8"), "bad.yaml"))
    (problem,) = info.value.errors
    assert (problem.line, problem.key) == (3, "layers.0.units")


# -- round trip --------------------------------------------------------------------------------------------
def test_round_trip_of_the_resolved_config(tmp_path):
    config = load_config(_with_model_file(tmp_path, ARCHITECTURE),
                         ["training.optimizer=sgd", "training.validation_split=0.2", "training.early_stopping.patience=2",
                          "training.class_weight={0: 2.0}"])
    saved = write(tmp_path, yaml.safe_dump(config.to_dict()), "resolved.yaml")
    again = load_config(saved)
    assert again.to_dict() == config.to_dict()
    assert yaml.safe_load(saved.read_text())["model"]["layers"][0]["type"] == "Dense"


def test_shipped_configs_round_trip(tmp_path):
    for path in sorted((REPO / "configs").glob("*.yaml")):
        config = load_config(path)
        saved = write(tmp_path, yaml.safe_dump(config.to_dict()), path.name)
        assert load_config(saved).to_dict() == config.to_dict(), path


# -- engine-derived schema ---------------------------------------------------------------------------------
def test_argument_schemas_follow_the_engine_signatures():
    dense = config_module.arguments_model(layers.Dense).model_fields
    assert dense["units"].is_required() and dense["kernel_initializer"].default == "glorot_uniform"
    adam = config_module.arguments_model(optimizers.Adam).model_fields
    assert (adam["learning_rate"].default, adam["beta_2"].default, adam["epsilon"].default) == (0.001, 0.999, 1e-7)


def test_a_new_layer_in_the_registry_is_configurable_without_edits(tmp_path, monkeypatch):
    class Scale(layers.Layer):
        type_name = "Scale"

        def __init__(self, factor: float = 2.0, name: str | None = None, input_dim: int | None = None) -> None:
            super().__init__(name=name, input_dim=input_dim)
            if factor == 0:
                raise ConfigError(f"factor must not be 0. Received: factor={factor}")
            self.factor = factor

    monkeypatch.setitem(layers.LAYERS._entries, "Scale", Scale)
    text = BASE.replace("{type: Dropout, rate: 0.1}", "{type: Scale, factor: 3}")
    assert load_config(write(tmp_path, text)).model.layers[1] == {"type": "Scale", "factor": 3.0, "name": None,
                                                                     "input_dim": None}
    with pytest.raises(ConfigValidationError) as info:
        load_config(write(tmp_path, text), ["model.layers.1.factor=0", "model.layers.1.fctor=1"])
    assert "did you mean 'factor'" in str(info.value)


def test_importing_config_does_not_import_scikit_learn():
    code = "import sys, nncli.config; print('sklearn' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert result.stdout.strip() == "False"


# -- properties: nothing but ConfigError escapes ------------------------------------------------------------
KEYS = ["name", "seed", "data", "data.source", "data.test_size", "data.scaler", "model", "model.input_dim",
        "model.layers", "model.layers.0", "model.layers.0.units", "model.layers.1.rate", "model.layers.0.activation",
        "model.layers.0.kernel_regularizer", "training", "training.loss", "training.optimizer",
        "training.optimizer.learning_rate", "training.metrics", "training.metrics.0", "training.batch_size",
        "training.class_weight", "training.early_stopping", "training.early_stopping.patience", "training.dtype"]
VALUES = ["0", "-1", "1e400", ".nan", "null", "true", "'x'", "relu", "[1, 2]", "{a: 1}", "[]", "{}", "adam",
          "{name: l2, l2: -1}", "99999999999999999999999", "&a [*a]", "!!binary aGk=", "2024-01-01", "[", "{type: Dense}"]

override_texts = st.one_of(
    st.text(max_size=40),
    st.builds(lambda key, value: f"{key}={value}", st.sampled_from(KEYS), st.sampled_from(VALUES)),
    st.builds(lambda key, extra, value: f"{key}.{extra}={value}", st.sampled_from(KEYS),
              st.text(alphabet="abcdefgh0123456789-_", min_size=1, max_size=8), st.sampled_from(VALUES)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(override_texts, max_size=4))
def test_random_overrides_raise_only_config_errors(tmp_path, overrides):
    path = write(tmp_path, BASE)
    try:
        config = load_config(path, overrides)
    except ConfigError as error:
        assert str(error)
        return
    again = write(tmp_path, yaml.safe_dump(config.to_dict()), "again.yaml")
    assert load_config(again).to_dict() == config.to_dict()


yaml_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True), st.text(max_size=12)),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(st.text(max_size=8), children, max_size=3)),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(KEYS), yaml_values)
def test_mutated_configs_raise_only_config_errors(tmp_path, key, value):
    tree = yaml.safe_load(BASE)
    node = tree
    *parents, last = key.split(".")
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    if isinstance(node, list):
        node[int(last) % len(node)] = value
    else:
        node[last] = value
    path = write(tmp_path, yaml.safe_dump(tree))
    try:
        load_config(path)
    except ConfigError as error:
        assert str(error)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=200))
def test_random_files_raise_only_config_errors(tmp_path, text):
    path = write(tmp_path, text)
    try:
        load_any(path)
    except ConfigError as error:
        assert str(error)


def test_schema_rows_document_every_static_key_once():
    rows = config_module.schema_rows()
    keys = [key for key, _, _ in rows]
    assert len(keys) == len(set(keys))
    by_key = {key: (default, description) for key, default, description in rows}
    assert by_key["training.batch_size"][0] == 32 and by_key["training.epochs"][0] == 1
    assert by_key["data.source"][0] == "required"
    assert all(description for _, _, description in rows)


@pytest.mark.parametrize("text, value", [("1e-3", 0.001), ("1E6", 1e6), ("-2.5e+4", -25000.0), (".5e-2", 0.005)])
def test_exponent_floats_without_a_dot_are_numbers(tmp_path, text, value):
    # YAML 1.1 reads 1e-3 as a string; Keras users write it everywhere.
    path = tmp_path / "exp.yaml"
    path.write_text(
        "data: {source: iris}\n"
        "model: {layers: [{type: Dense, units: 3, activation: softmax}]}\n"
        f"training: {{loss: sparse_categorical_crossentropy, optimizer: {{name: sgd, learning_rate: {text}}}}}\n"
    )
    if value <= 0:
        with pytest.raises(ConfigError):
            load_config(path)
        return
    assert load_config(path).to_dict()["training"]["optimizer"]["learning_rate"] == value
    assert load_config(path, [f"training.optimizer.learning_rate={text}"]).to_dict()["training"]["optimizer"]["learning_rate"] == value
