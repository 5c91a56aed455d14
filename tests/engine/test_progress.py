"""The progress callbacks: the plain line per epoch, the live display's layout and throttling,
and Keras's ``verbose`` choices. (What a real terminal shows: tests/cli/test_train_terminal.py.)"""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nncli import Sequential, layers
from nncli.engine import progress
from nncli.engine.progress import LiveProgress, PlainProgress, fit_line

METRICS = "loss=0.0094 accuracy=1.0000 val_loss=0.0922 val_accuracy=0.9852"


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _terminal(width: int = 80):
    from rich.console import Console

    return Console(file=io.StringIO(), force_terminal=True, width=width, height=24, color_system=None)


def _model() -> Sequential:
    model = Sequential([layers.Dense(4, activation="relu", input_dim=3), layers.Dense(1, activation="sigmoid")], seed=0)
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def _data(n: int = 64):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 3))
    return x, (x[:, 0] > 0).astype(int)


def test_the_plain_line_is_the_log_format_of_the_first_wave():
    stream = io.StringIO()
    callback = PlainProgress(stream)
    callback.set_params({"epochs": 20})
    callback.on_epoch_begin(2)
    callback.on_epoch_end(2, {"loss": 0.41234, "accuracy": 0.821, "auc": float("nan")})
    assert re.fullmatch(r"epoch 3/20 loss=0\.4123 accuracy=0\.8210 time=\d+\.\dms\n", stream.getvalue())


@pytest.mark.parametrize("width", [40, 60, 80, 120, 200])
def test_fitted_lines_keep_the_counter_and_the_eta(width):
    line = fit_line("epoch 39/150", "ETA 1:02:05", "12s", 0.26, METRICS, width)
    assert len(line) <= width - 3
    assert line.startswith("epoch 39/150") and "ETA 1:02:05" in line


def test_metrics_are_abbreviated_before_they_are_cut_and_the_bar_stays():
    wide = fit_line("epoch 39/150", "ETA 3s", "1s", 0.5, METRICS, 160)
    assert METRICS in wide and "━" in wide
    narrow = fit_line("epoch 39/150", "ETA 3s", "1s", 0.5, METRICS, 80)
    assert "acc=1.0000" in narrow and "v_acc=0.9852" in narrow and "━" in narrow
    tiny = fit_line("epoch 39/150", "ETA 3s", "1s", 0.5, METRICS, 50)
    assert tiny.endswith("…") and "━" in tiny


@given(width=st.integers(30, 300), fraction=st.floats(0, 1), n_metrics=st.integers(0, 12))
def test_any_width_gives_one_line_that_fits(width, fraction, n_metrics):
    metrics = " ".join(f"val_metric_{i}=0.{i:04d}" for i in range(n_metrics))
    line = fit_line("epoch 7/10", "ETA 5s", "3s", fraction, metrics, width)
    assert "\n" not in line and len(line) <= max(width - 3, len("epoch 7/10 ETA 5s"))
    assert line.startswith("epoch 7/10") and "ETA 5s" in line


def test_the_live_display_redraws_at_most_ten_times_a_second_whatever_the_epochs():
    clock = FakeClock()
    display = LiveProgress(_terminal(), clock=clock)
    redraws = []
    display.set_model(_model())
    display.set_params({"epochs": 500, "steps": 10, "initial_epoch": 0})
    display.on_train_begin()
    live = display._live
    original = live.refresh
    live.refresh = lambda: (redraws.append(clock.now), original())
    for epoch in range(500):
        display.on_epoch_begin(epoch)
        for batch in range(10):
            clock.now += 0.0005  # 5 ms epochs: 200 epochs a second
            display.on_train_batch_end(batch)
        display.on_epoch_end(epoch, {"loss": 0.5})
    display.on_train_end()
    span = clock.now - 100.0
    assert len(redraws) <= span / progress.REFRESH_SECONDS + 2
    gaps = np.diff(redraws)[:-1]  # the last one is the final redraw when the display stops
    assert (gaps >= progress.REFRESH_SECONDS - 1e-9).all()
    printed = display.console.file.getvalue()
    assert printed.count("epoch 500/500 loss=0.5000") == 1 and printed.count("epoch 1/500 loss=0.5000") == 1


def test_the_live_area_is_two_lines_at_any_moment():
    clock = FakeClock()
    display = LiveProgress(_terminal(), clock=clock)
    display.set_model(_model())
    display.set_params({"epochs": 3, "steps": 4, "initial_epoch": 0})
    display.on_train_begin()
    assert len(display.lines(80)) == 2
    display.on_epoch_begin(0)
    clock.now += 1.0
    display.on_train_batch_end(1)
    run, batch = display.lines(80)
    assert run.startswith("epoch 1/3") and batch.startswith("  batch 2/4")
    assert re.search(r"ETA \d+s", run) and re.search(r"ETA \d+s", batch)
    display.on_train_end()


def test_closing_in_the_middle_of_an_epoch_says_how_far_it_got():
    display = LiveProgress(_terminal(), clock=FakeClock())
    display.set_model(_model())
    display.set_params({"epochs": 9, "steps": 5, "initial_epoch": 0})
    display.on_train_begin()
    display.on_epoch_begin(3)
    display.on_train_batch_end(1)
    display.close()
    assert "epoch 4/9 interrupted after batch 2/5" in display.console.file.getvalue()
    display.close()  # closing twice is harmless


def test_fit_verbose_2_prints_one_line_per_epoch(capsys):
    x, y = _data()
    _model().fit(x, y, epochs=3, batch_size=16, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in lines] == ["1/3", "2/3", "3/3"]


def test_fit_verbose_auto_off_a_terminal_prints_one_line_per_epoch(capsys):
    x, y = _data()
    _model().fit(x, y, epochs=2, batch_size=16)
    out = capsys.readouterr().out
    assert out.count("\n") == 2 and out.startswith("epoch 1/2 loss=") and "\x1b" not in out


def test_fit_verbose_0_prints_nothing(capsys):
    x, y = _data()
    _model().fit(x, y, epochs=2, verbose=0)
    assert capsys.readouterr().out == ""


def test_verbose_1_on_a_terminal_is_the_live_display(monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")
    chosen = progress.callbacks_for(1, io.StringIO())
    assert [type(c) for c in chosen] == [LiveProgress]
    monkeypatch.delenv("FORCE_COLOR")
    monkeypatch.setenv("TERM", "dumb")
    assert [type(c) for c in progress.callbacks_for("auto", io.StringIO())] == [PlainProgress]


@pytest.mark.parametrize("verbose", [3, "yes", True, -1])
def test_other_verbose_values_are_refused(verbose):
    x, y = _data()
    with pytest.raises(Exception, match="verbose must be 'auto', 0, 1 or 2"):
        _model().fit(x, y, epochs=1, verbose=verbose)
