"""End-to-end tests of a run's pictures (issue 7), through the ``nncli`` command.

The circle's decision boundary is checked on the grid values behind the picture (the relu
network's class map separates the ring, a linear-activation network's cannot); every PNG a run
writes opens as an image of sensible size; ``--no-plots``, ``nncli plot`` (also on a run made
before the pictures existed), an unknown ``--what`` name and a missing matplotlib behave as the
issue says.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner, Result

from nncli import experiment
from nncli.plots import compute
from nncli.cli import app

REPO = Path(__file__).resolve().parents[2]
CONFIG_DIR = REPO / "configs"
CIRCLE = CONFIG_DIR / "circle.yaml"
LINEAR_HIDDEN_LAYERS = ("model.layers.0.activation=linear", "model.layers.1.activation=linear")
CIRCLE_PICTURES = {"curves.png", "confusion.png", "roc.png", "decision_boundary.png"}
INSIDE_CLASS = 1  # the circle source: class 1 inside radius 2.5, class 0 on the ring 3.5-5


# ---------------------------------------------------------------- helpers


def nncli(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(arg) for arg in args])


def train(config: Path, runs_dir: Path, *overrides: str, name: str | None = None,
          plots_on: bool = True) -> tuple[Path, Result]:
    """``nncli train``; the run directory (stdout's last line) and the result."""
    options = ["--runs-dir", runs_dir] + (["--name", name] if name else []) + ([] if plots_on else ["--no-plots"])
    result = nncli("train", *options, config, *overrides)
    assert result.exit_code == 0, f"exit {result.exit_code}\n{result.stderr}\n{result.stdout}"
    run_dir = Path(result.stdout.strip().splitlines()[-1])
    assert run_dir.is_dir()
    return run_dir, result


def png_names(folder: Path) -> set[str]:
    return {path.name for path in folder.glob("*.png")}


def assert_sensible_image(path: Path) -> None:
    """A PNG that opens, of a size a person can look at, and not one flat colour."""
    with Image.open(path) as image:
        assert image.format == "PNG"
        width, height = image.size
        pixels = np.asarray(image.convert("L"))
    assert 400 <= width <= 2000 and 300 <= height <= 2000, (path.name, width, height)
    assert pixels.std() > 1.0, f"{path.name} is blank"


def one_error_line(result: Result) -> str:
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    return lines[0]


# ---------------------------------------------------------------- the circle's class maps


@pytest.fixture(scope="module")
def circle_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """configs/circle.yaml as shipped (relu), and the same network with linear hidden layers."""
    runs_dir = tmp_path_factory.mktemp("circle_runs")
    return {
        "relu": train(CIRCLE, runs_dir, name="relu")[0],
        "linear": train(CIRCLE, runs_dir, *LINEAR_HIDDEN_LAYERS, name="linear")[0],
    }


def predicted_class_map(run_dir: Path, resolution: int = 41) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grid coordinates and the class the saved model predicts at each grid point."""
    loaded = experiment.load_run(run_dir)
    prepared = experiment.prepare(loaded.config, loaded.preprocessor)

    def predict_fn(points: np.ndarray) -> np.ndarray:  # raw plane points, as the picture's axes
        return loaded.model.predict(loaded.preprocessor.transform_X(points))

    xx, yy, probability = compute.boundary_grid(predict_fn, prepared.X_train_raw, resolution=resolution)
    return xx, yy, (probability > 0.5).astype(int)


def centre_and_far_points(xx: np.ndarray, yy: np.ndarray, classes: np.ndarray) -> tuple[int, list[int]]:
    """The class nearest the origin, and those of the grid's 4 corners and 4 edge midpoints."""
    centre = np.unravel_index(np.argmin(np.hypot(xx, yy)), xx.shape)
    last, middle = classes.shape[0] - 1, classes.shape[0] // 2
    far = [(0, 0), (0, last), (last, 0), (last, last), (0, middle), (last, middle), (middle, 0), (middle, last)]
    return int(classes[centre]), [int(classes[point]) for point in far]


def is_ring_shaped(xx: np.ndarray, yy: np.ndarray, classes: np.ndarray) -> bool:
    """The centre is one class and every far point (corners, edge midpoints) the other."""
    centre, far = centre_and_far_points(xx, yy, classes)
    return all(value != centre for value in far)


def test_the_relu_network_separates_the_ring(circle_runs):
    assert CIRCLE_PICTURES <= png_names(circle_runs["relu"])
    xx, yy, classes = predicted_class_map(circle_runs["relu"])
    assert xx.min() < -5 and xx.max() > 5 and yy.min() < -5 and yy.max() > 5  # the whole data plane
    radius = np.hypot(xx, yy)
    assert np.all(classes[radius < 2.0] == INSIDE_CLASS)
    ring = (radius > 3.8) & (radius < 4.8)
    assert ring.sum() > 100
    assert np.all(classes[ring] == 1 - INSIDE_CLASS)
    assert is_ring_shaped(xx, yy, classes)


def test_the_linear_network_cannot_draw_a_ring(circle_runs):
    assert "decision_boundary.png" in png_names(circle_runs["linear"])
    xx, yy, classes = predicted_class_map(circle_runs["linear"])
    assert not is_ring_shaped(xx, yy, classes)
    radius = np.hypot(xx, yy)
    inner, ring = classes[radius < 2.0], classes[(radius > 3.8) & (radius < 4.8)]
    separates = np.all(inner == INSIDE_CLASS) and np.all(ring == 1 - INSIDE_CLASS)
    assert not separates  # a half-plane cannot hold the disc and leave out the ring around it


# ---------------------------------------------------------------- the PNGs of a run


@pytest.mark.parametrize(
    "config_name, expected",
    [
        pytest.param("circle.yaml", CIRCLE_PICTURES, id="binary-2-features"),
        pytest.param("breast_cancer.yaml", {"curves.png", "confusion.png", "roc.png"}, id="binary-30-features"),
        pytest.param("iris.yaml", {"curves.png", "confusion.png"}, id="multiclass"),
        pytest.param("diabetes.yaml", {"curves.png", "residuals.png"}, id="regression"),
    ],
)
def test_a_run_writes_the_pictures_of_its_task(config_name: str, expected: set[str], tmp_path: Path):
    run_dir, result = train(CONFIG_DIR / config_name, tmp_path, "training.epochs=2")
    assert png_names(run_dir) == expected
    for name in expected:
        assert_sensible_image(run_dir / name)
    reported = next(line for line in result.stderr.splitlines() if line.startswith("pictures: "))
    assert set(reported.removeprefix("pictures: ").split(", ")) == expected


def test_no_plots_writes_no_picture(tmp_path: Path):
    run_dir, result = train(CIRCLE, tmp_path, "training.epochs=2", plots_on=False)
    assert png_names(run_dir) == set()
    assert (run_dir / "model.npz").exists()
    assert "pictures" not in result.stderr


# ---------------------------------------------------------------- nncli plot


def test_plot_draws_the_chosen_pictures_into_another_folder(tmp_path: Path):
    run_dir, _ = train(CIRCLE, tmp_path / "runs", "training.epochs=2", plots_on=False)
    out = tmp_path / "pictures"
    result = nncli("plot", run_dir, "--what", "curves,boundary", "--out", out)
    assert result.exit_code == 0, result.stderr
    assert png_names(out) == {"curves.png", "decision_boundary.png"}
    assert {Path(line).name for line in result.stdout.split()} == {"curves.png", "decision_boundary.png"}
    for path in out.iterdir():
        assert_sensible_image(path)
    assert png_names(run_dir) == set()


def test_plot_works_on_a_run_from_before_the_pictures_existed(tmp_path: Path):
    run_dir, _ = train(CIRCLE, tmp_path, "training.epochs=2", plots_on=False)
    for picture in run_dir.glob("*.png"):
        picture.unlink()
    metrics = json.loads((run_dir / "metrics.json").read_text())
    metrics.pop("pictures", None)
    (run_dir / "metrics.json").write_text(json.dumps(metrics))
    result = nncli("plot", run_dir)
    assert result.exit_code == 0, result.stderr
    assert png_names(run_dir) == CIRCLE_PICTURES
    for name in CIRCLE_PICTURES:
        assert_sensible_image(run_dir / name)


@pytest.mark.parametrize("typo, meant", [("curvs", "curves"), ("boundry", "boundary"), ("confusoin", "confusion")])
def test_an_unknown_picture_name_exits_2_naming_the_closest(circle_runs, typo: str, meant: str, tmp_path: Path):
    out = tmp_path / "pictures"
    result = nncli("plot", circle_runs["relu"], "--what", f"roc,{typo}", "--out", out)
    assert result.exit_code == 2
    line = one_error_line(result)
    assert repr(typo) in line and repr(meant) in line
    assert not out.exists() or png_names(out) == set()


# ---------------------------------------------------------------- without matplotlib


@pytest.fixture
def no_matplotlib(monkeypatch):
    """Make every ``import matplotlib...`` fail, as on a machine without it."""
    loaded = [name for name in sys.modules if name == "matplotlib" or name.startswith("matplotlib.")]
    for name in {"matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg", *loaded}:
        monkeypatch.setitem(sys.modules, name, None)


def test_without_matplotlib_the_run_completes_with_one_notice(tmp_path: Path, no_matplotlib):
    run_dir, result = train(CIRCLE, tmp_path, "training.epochs=2")
    assert png_names(run_dir) == set()
    notices = [line for line in result.stderr.splitlines() if "matplotlib" in line]
    assert len(notices) == 1, result.stderr
    assert "Traceback" not in result.stderr
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["status"] == "completed"
    assert (run_dir / "model.npz").exists()


def test_without_matplotlib_plot_is_one_clear_error(tmp_path: Path, no_matplotlib):
    run_dir, _ = train(CIRCLE, tmp_path, "training.epochs=2", plots_on=False)
    result = nncli("plot", run_dir)
    assert result.exit_code == 1
    assert "matplotlib" in one_error_line(result)
    assert png_names(run_dir) == set()
