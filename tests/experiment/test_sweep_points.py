"""The points of a sweep: parsing --grid/--param/--seeds, identities, names, random draws."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

from nncli.config import parse_override
from nncli.errors import UsageError
from nncli.experiment.sweep import points
from nncli.runs import validate_run_name


def test_grid_values_are_yaml_scalars_or_flow_lists():
    assert points.parse_grid("model.layers.0.units=16,32,64") == ("model.layers.0.units", [16, 32, 64])
    assert points.parse_grid("training.optimizer=adam,sgd") == ("training.optimizer", ["adam", "sgd"])
    assert points.parse_grid("training.metrics=[accuracy],[accuracy, auc]")[1] == [["accuracy"], ["accuracy", "auc"]]
    assert points.parse_grid("training.optimizer.learning_rate=0.01,1e-2,0.1")[1] == [0.01, 0.1]  # one point each


@pytest.mark.parametrize("text", ["model.layers.0.units", "=1,2", "units=", "units=1,,2", "units=1,"])
def test_malformed_grid_is_a_usage_error(text):
    with pytest.raises(UsageError):
        points.parse_grid(text)


def test_param_specs_and_their_draws_stay_in_range():
    specs = [points.parse_param("lr=loguniform(1e-4,1e-1)"), points.parse_param("a=uniform(-1, 1)"),
             points.parse_param("units=int(8,64)"), points.parse_param("opt=choice(adam,sgd,[1,2])")]
    for u in (0.0, 0.25, 0.5, 0.999999):
        lr, a, units, opt = (spec.draw(u) for spec in specs)
        assert 1e-4 <= lr <= 1e-1 and -1 <= a <= 1 and 8 <= units <= 64 and isinstance(units, int)
        assert opt in ("adam", "sgd", [1, 2])


@pytest.mark.parametrize("text", ["lr=loguniform(0,1)", "lr=uniform(2,1)", "u=int(1.5,3)", "c=choice()",
                                  "x=normal(0,1)", "x=uniform(a,b)", "x=uniform(1)"])
def test_bad_param_specs_say_what_is_expected(text):
    with pytest.raises(UsageError, match="--param"):
        points.parse_param(text)


def test_seeds():
    assert points.parse_seeds("0,1,2, 2") == [0, 1, 2]
    assert points.parse_seeds(None) is None
    with pytest.raises(UsageError, match="--seeds"):
        points.parse_seeds("0,x")


def test_grid_is_a_cartesian_product_in_the_order_given():
    grid = [points.parse_grid("a=1,2,3"), points.parse_grid("b=x,y")]
    found = points.points(grid, [], 0, 0)
    assert len(found) == 6
    assert found[0] == (("a", 1), ("b", "x")) and found[1] == (("a", 1), ("b", "y"))


def test_random_draws_are_seeded_and_keep_their_prefix():
    specs = [points.parse_param("lr=loguniform(1e-4,1e-1)")]
    five, eight = points.points([], specs, 5, 7), points.points([], specs, 8, 7)
    assert eight[:5] == five
    assert points.points([], specs, 5, 8) != five


def test_identity_is_order_free_stable_and_includes_the_seed():
    first = points.identity((("a", 1), ("b", 0.01)), 0)
    assert first == points.identity((("b", 0.01), ("a", 1)), 0)
    assert first != points.identity((("a", 1), ("b", 0.01)), 1)
    script = "from nncli.experiment.sweep import points; print(points.identity((('a', 1), ('b', 0.01)), 0))"
    other_process = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert other_process.stdout.strip() == first  # no hash randomization in it
    assert len(first) == points.HASH_CHARS


def test_names_are_readable_valid_folder_names():
    grid = [points.parse_grid("training.optimizer.learning_rate=0.01,0.001"),
            points.parse_grid("model.layers.0.units=16,32"), points.parse_grid("model.layers.1.units=[1,2]")]
    made = points.sweep_runs(points.points(grid, [], 0, 0), [0, 1], 0)
    assert len(made) == 8 and len({run.name for run in made}) == 8
    assert made[0].name.startswith("lr=0.01,0.units=16,1.units=[1,2],seed=0-")
    for run in made:
        validate_run_name(run.name)


def test_a_long_name_is_cut_and_a_path_value_is_made_safe():
    point = (("data.path", "/some/where/" + "x" * 200), ("b", 1))
    run = points.sweep_runs([point], None, 0)[0]
    assert len(run.name) <= points.MAX_NAME_CHARS and "/" not in run.name
    validate_run_name(run.name)


@pytest.mark.parametrize("value", [0.01, 1e-05, 3, True, None, "adam", [16, 32], {"name": "adam"}, 1e300])
def test_overrides_read_back_as_the_same_value(value):
    text = points.yaml_text(value)
    assert parse_override(f"key={text}")[1] == value


def test_a_key_swept_twice_or_random_without_params_is_refused():
    with pytest.raises(UsageError, match="swept twice"):
        points.points([points.parse_grid("a=1,2")], [points.parse_param("a=int(1,3)")], 2, 0)
    with pytest.raises(UsageError, match="--param"):
        points.points([], [], 3, 0)
    with pytest.raises(UsageError, match="--random"):
        points.points([], [points.parse_param("a=int(1,3)")], 0, 0)


def test_drawn_floats_keep_four_significant_digits():
    value = points.parse_param("lr=loguniform(1e-4,1e-1)").draw(0.123456)
    assert value == float(f"{value:.4g}") and math.isfinite(value)
