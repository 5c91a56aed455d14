"""A table of bad configs and overrides, shared by the config tests and the CLI tests.

Each case is ``(id, yaml_text, overrides, expected_key, expected_substring)``:

- ``yaml_text`` is the whole file; the line the error must point at carries the marker
  ``# <-`` (see ``expected_line``); cases without a marker are located otherwise (an override,
  or a file-level error with no line such as an empty file);
- ``overrides`` is the list of ``key.path=value`` strings given after the file;
- ``expected_key`` is the dotted key the message must name (None for file-level errors);
- ``expected_substring`` is a piece of the message for that key.
"""

from __future__ import annotations

MARKER = "# <-"

BASE = """\
name: demo
seed: 0
data:
  source: iris
  test_size: 0.25
  split_seed: 3
  scaler: standard
model:
  input_dim: 4
  layers:
    - {type: Dense, units: 8, activation: relu}
    - {type: Dropout, rate: 0.1}
    - {type: Dense, units: 3, activation: softmax}
training:
  loss: sparse_categorical_crossentropy
  optimizer: {name: adam, learning_rate: 0.01}
  metrics: [accuracy]
  batch_size: 16
  epochs: 2
  validation_split: 0.0
"""


def edit(old: str, new: str, marked: bool = True) -> str:
    """BASE with the line ``old`` replaced by ``new`` (marked as the line the error is on)."""
    if old not in BASE:
        raise ValueError(f"{old!r} is not a line of BASE")
    return BASE.replace(old, f"{new}  {MARKER}" if marked else new, 1)


def mark(line: str) -> str:
    """BASE with the marker on ``line`` (for errors that point at an existing line)."""
    return edit(line, line)


def expected_line(yaml_text: str) -> int | None:
    """The 1-based number of the line marked ``# <-``, or None."""
    for number, line in enumerate(yaml_text.splitlines(), start=1):
        if MARKER in line:
            return number
    return None


DENSE_0 = "    - {type: Dense, units: 8, activation: relu}"
DROPOUT_1 = "    - {type: Dropout, rate: 0.1}"
OPTIMIZER = "  optimizer: {name: adam, learning_rate: 0.01}"
LAYERS_BLOCK = DENSE_0 + "\n" + DROPOUT_1 + "\n    - {type: Dense, units: 3, activation: softmax}\n"
# Level n holds 10**n values; reading level 3 passes the limit of 10,000, so the error is on line 4.
BOMB = "".join(
    f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * 10) if level else '1, 2, 3, 4, 5, 6, 7, 8, 9, 10'}]"
    + (f"  {MARKER}\n" if level == 3 else "\n")
    for level in range(8)
)

BAD_CONFIGS: list[tuple[str, str, list[str], str | None, str]] = [
    # -- unknown keys, at every level ------------------------------------------------------
    ("top_key_typo", edit("seed: 0", "sed: 0"), [], "sed", "did you mean 'seed'"),
    ("data_key_typo", edit("  scaler: standard", "  scalr: standard"), [], "data.scalr", "did you mean 'scaler'"),
    ("model_key_typo", edit("  input_dim: 4", "  input_dims: 4"), [], "model.input_dims", "did you mean 'input_dim'"),
    ("layer_key_typo", edit(DENSE_0, "    - {type: Dense, unit: 8, activation: relu}"), [],
     "model.layers.0.unit", "did you mean 'units'"),
    ("training_key_typo", edit("  batch_size: 16", "  batchsize: 16"), [], "training.batchsize", "did you mean 'batch_size'"),
    ("optimizer_argument_typo", edit(OPTIMIZER, "  optimizer: {name: adam, learning_rat: 0.01}"), [],
     "training.optimizer.learning_rat", "did you mean 'learning_rate'"),
    ("optimizer_old_keras_lr", edit(OPTIMIZER, "  optimizer: {name: adam, lr: 0.01}"), [],
     "training.optimizer.lr", "did you mean 'learning_rate'"),
    ("loss_argument_typo", edit("  loss: sparse_categorical_crossentropy",
                                "  loss: {name: sparse_categorical_crossentropy, from_logit: true}"), [],
     "training.loss.from_logit", "did you mean 'from_logits'"),
    ("early_stopping_typo", edit("  validation_split: 0.0", "  early_stopping: {patiense: 3}"), [],
     "training.early_stopping.patiense", "did you mean 'patience'"),
    ("source_param_typo", edit("  source: iris", "  source: lfw\n  min_face_per_person: 100"), [],
     "data.min_face_per_person", "did you mean 'min_faces_per_person'"),
    ("source_param_quoted_number", edit("  source: iris", "  source: circle\n  n_samples: '300'"), [],
     "data.n_samples", "expected an integer; received '300'"),
    # -- unknown names ---------------------------------------------------------------------------
    ("activation_typo", edit(DENSE_0, "    - {type: Dense, units: 8, activation: rellu}"), [],
     "model.layers.0.activation", "unknown activation 'rellu'; did you mean 'relu'?"),
    ("loss_typo", edit("  loss: sparse_categorical_crossentropy", "  loss: sparse_categorical_crossentropi"), [],
     "training.loss.name", "did you mean 'sparse_categorical_crossentropy'"),
    ("optimizer_typo", edit(OPTIMIZER, "  optimizer: {name: adamm, learning_rate: 0.01}"), [],
     "training.optimizer.name", "did you mean 'adam'"),
    ("optimizer_shorthand_typo", edit(OPTIMIZER, "  optimizer: sgdd"), [], "training.optimizer.name", "did you mean 'sgd'"),
    ("metric_typo", edit("  metrics: [accuracy]", "  metrics: [accuracy, aucc]"), [],
     "training.metrics.1", "did you mean 'auc'"),
    ("layer_type_typo", edit(DROPOUT_1, "    - {type: Dropot, rate: 0.1}"), [], "model.layers.1.type", "did you mean 'Dropout'"),
    ("initializer_typo", edit(DENSE_0, "    - {type: Dense, units: 8, activation: relu, kernel_initializer: he_unifrom}"),
     [], "model.layers.0.kernel_initializer", "did you mean 'he_uniform'"),
    ("regularizer_typo", edit(DENSE_0, "    - {type: Dense, units: 8, activation: relu, kernel_regularizer: l3}"), [],
     "model.layers.0.kernel_regularizer", "unknown regularizer 'l3'"),
    ("source_typo", edit("  source: iris", "  source: iriss"), [], "data.source", "did you mean 'iris'"),
    ("scaler_typo", edit("  scaler: standard", "  scaler: standrad"), [], "data.scaler", "did you mean 'standard'"),
    # -- wrong types -------------------------------------------------------------------------------
    ("units_as_text", edit(DENSE_0, "    - {type: Dense, units: '8', activation: relu}"), [],
     "model.layers.0.units", "expected an integer"),
    ("units_fractional", edit(DENSE_0, "    - {type: Dense, units: 8.5, activation: relu}"), [],
     "model.layers.0.units", "expected an integer"),
    ("learning_rate_as_text", edit(OPTIMIZER, "  optimizer: {name: adam, learning_rate: fast}"), [],
     "training.optimizer.learning_rate", "expected a number"),
    ("shuffle_as_text", edit("  validation_split: 0.0", "  shuffle: 'yes'"), [], "training.shuffle", "true or false"),
    ("layer_not_a_mapping", edit(DENSE_0, "    - Dense"), [], "model.layers.0", "expected a mapping"),
    ("class_weight_unknown_word", edit("  validation_split: 0.0", "  class_weight: balance"), [],
     "training.class_weight", "'balanced'"),
    ("dtype_unknown", edit("  validation_split: 0.0", "  dtype: float16"), [], "training.dtype", "'float32'"),
    ("name_with_slash", edit("name: demo", "name: runs/demo"), [], "name", "one folder name"),
    # -- out-of-range values -----------------------------------------------------------------------
    ("units_negative", edit(DENSE_0, "    - {type: Dense, units: -3, activation: relu}"), [],
     "model.layers.0.units", "positive integer"),
    ("validation_split_one", edit("  validation_split: 0.0", "  validation_split: 1.0"), [],
     "training.validation_split", "less than 1"),
    ("batch_size_zero", edit("  batch_size: 16", "  batch_size: 0"), [], "training.batch_size", "greater than 0"),
    ("epochs_negative", edit("  epochs: 2", "  epochs: -1"), [], "training.epochs", "greater than 0"),
    ("epochs_zero", edit("  epochs: 2", "  epochs: 0"), [], "training.epochs", "greater than 0"),
    ("test_size_one", edit("  test_size: 0.25", "  test_size: 1"), [], "data.test_size", "less than 1"),
    ("dropout_rate_one", edit(DROPOUT_1, "    - {type: Dropout, rate: 1.0}"), [], "model.layers.1.rate", "[0, 1)"),
    ("learning_rate_zero", edit(OPTIMIZER, "  optimizer: {name: adam, learning_rate: 0}"), [],
     "training.optimizer.learning_rate", "positive"),
    ("regularizer_negative", edit(DENSE_0, "    - {type: Dense, units: 8, kernel_regularizer: {name: l2, l2: -0.1}}"), [],
     "model.layers.0.kernel_regularizer.l2", ">= 0"),
    ("seed_negative", edit("seed: 0", "seed: -1"), [], "seed", "greater than or equal to 0"),
    ("input_dim_zero", edit("  input_dim: 4", "  input_dim: 0"), [], "model.input_dim", "greater than 0"),
    ("layers_empty", BASE.replace("  layers:\n" + LAYERS_BLOCK, f"  layers: []  {MARKER}\n"), [], "model.layers", "at least 1"),
    ("monitor_needs_validation", edit("  validation_split: 0.0", "  early_stopping: {patience: 3}"), [],
     "training.early_stopping.monitor", "validation_split"),
    # -- missing keys: the error points at the parent mapping ---------------------------------------
    ("missing_loss", mark("training:").replace("  loss: sparse_categorical_crossentropy\n", ""), [],
     "training.loss", "missing required key 'loss'"),
    ("missing_source", mark("data:").replace("  source: iris\n", ""), [], "data.source", "missing required key 'source'"),
    ("missing_units", edit(DENSE_0, "    - {type: Dense, activation: relu}"), [], "model.layers.0.units", "missing"),
    # -- not YAML we accept ------------------------------------------------------------------------------
    ("python_tag", f"name: !!python/object/apply:os.system ['echo hi']  {MARKER}\n", [], None, "unsupported YAML tag"),
    ("python_tag_in_section", edit("  scaler: standard", "  scaler: !!python/object:collections.OrderedDict {}"), [],
     None, "unsupported YAML tag"),
    ("non_mapping_root", f"- name: demo  {MARKER}\n- seed: 0\n", [], None, "top level must be a mapping"),
    ("scalar_root", f"just some words  {MARKER}\n", [], None, "top level must be a mapping"),
    ("syntax_error", edit("  epochs: 2", "  epochs: 2: 3"), [], None, "YAML syntax error"),
    ("syntax_error_unclosed_list", BASE.replace("  metrics: [accuracy]\n  batch_size: 16\n",
                                                f"  metrics: [accuracy\n  batch_size: 16  {MARKER}\n"), [],
     None, "flow sequence started on line 17"),
    ("empty_file", "", [], None, "empty"),
    ("only_comments", "# nothing here\n", [], None, "empty"),
    ("duplicate_key", BASE + f"seed: 1  {MARKER}\n", [], "seed", "duplicate key"),
    ("alias_bomb", BOMB, [], None, "expands to more than"),
    # -- overrides -------------------------------------------------------------------------------------
    ("override_unknown_section", BASE, ["trainig.epochs=3"], "trainig", "did you mean 'training'"),
    ("override_unknown_key", BASE, ["training.optimizer.beta_3=0.9"], "training.optimizer.beta_3", "unknown key 'beta_3'"),
    ("override_key_of_other_optimizer", BASE, ["training.optimizer.momentum=0.9"], "training.optimizer.momentum",
     "unknown key 'momentum' for optimizer 'adam'"),
    ("override_bad_value", BASE, ["model.layers.0.units=-3"], "model.layers.0.units", "positive integer"),
    ("override_metric_typo", BASE, ["training.metrics=[accuracy,aucc]"], "training.metrics.1", "did you mean 'auc'"),
    ("override_without_equals", BASE, ["training.epochs"], None, "expected key.path=value"),
    ("override_empty_key", BASE, ["=3"], None, "empty"),
    ("override_empty_part", BASE, ["training..epochs=3"], None, "empty"),
    ("override_index_out_of_range", BASE, ["model.layers.5.units=3"], "model.layers.5", "out of range"),
    ("override_index_not_a_number", BASE, ["model.layers.first.units=3"], "model.layers.first", "item number"),
    ("override_into_scalar", BASE, ["seed.value=1"], "seed.value", "not a mapping"),
    ("override_python_tag", BASE, ["training.epochs=!!python/object/apply:os.system [echo]"], "training.epochs",
     "unsupported YAML tag"),
    ("override_bad_yaml", BASE, ["training.epochs=[1"], "training.epochs", "YAML syntax error"),
    ("override_creates_section_with_bad_monitor", BASE, ["training.early_stopping.monitor=val_acuracy"],
     "training.early_stopping.monitor", "training does not report 'val_acuracy'"),
]
