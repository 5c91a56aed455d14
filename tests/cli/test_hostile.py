"""Hostile and careless inputs never reach "internal error" (issue 14, part A): every one ends in
one message naming what was wrong, exit 2 for usage and config, 1 for runtime failures."""

from __future__ import annotations

import errno
import json
import os
import warnings
from pathlib import Path

import pytest

from cli_helpers import CONFIGS, invoke, run_nncli, train_run, write_config
from nncli.runs import RunLock

LONG = "x" * 300  # one path component longer than the file system's 255 bytes


def assert_clean(result, code: int = 2, *words: str) -> None:
    output = result.stderr if hasattr(result, "stderr") else ""
    assert result.exit_code == code if hasattr(result, "exit_code") else result.returncode == code, output
    assert "internal error" not in output and "Traceback" not in output
    for word in words:
        assert word in " ".join(output.split()), output


@pytest.mark.parametrize(("line", "kind"), [("seed: !!int abc", "int"), ("seed: !!bool maybe", "bool"),
                                            ("seed: !!float x", "float"), ("seed: " + "9" * 5000, "int")])
def test_yaml_values_that_cannot_be_built_are_located_problems(tmp_path, line, kind):
    text = (CONFIGS / "iris.yaml").read_text().replace("seed: 0", line)
    result = invoke(["train", write_config(tmp_path, text), "--runs-dir", tmp_path / "runs"])
    assert_clean(result, 2, "experiment.yaml:")


@pytest.mark.parametrize("override", ["seed=!!int abc", "seed=!!bool maybe", "seed=" + "9" * 5000,
                                      "training.optimizer.learning_rate=!!float x"])
def test_the_same_in_overrides(tmp_path, override):
    assert_clean(invoke(["train", CONFIGS / "iris.yaml", override, "--runs-dir", tmp_path]), 2, "override")


@pytest.mark.parametrize("override", ["model=~0", "model=~no-such-user-x/a.yaml", "data.path=~no-such-user-x/a.csv"])
def test_a_home_folder_that_does_not_exist_is_a_path_not_found(tmp_path, override):
    """Path.expanduser raises RuntimeError for an unknown user; the path is then simply not found."""
    result = invoke(["train", CONFIGS / "iris_csv.yaml", override, "--runs-dir", tmp_path])
    assert_clean(result, 2, "~")
    assert "not found" in result.stderr


@pytest.mark.parametrize("args", [
    ["train", f"/tmp/{LONG}.yaml"],
    ["train", CONFIGS / "iris_csv.yaml", f"data.path={LONG}.csv"],
    ["train", CONFIGS / "iris.yaml", f"model={LONG}.yaml"],
    ["summary", f"/tmp/{LONG}"],
    ["evaluate", f"/tmp/{LONG}"],
    ["runs", f"/tmp/{LONG}"],
    ["plot", f"/tmp/{LONG}"],
    ["gradcheck", f"/tmp/{LONG}"],
])
def test_a_path_component_over_255_bytes_is_a_usage_error(tmp_path, args):
    assert_clean(invoke([*args, "--runs-dir", tmp_path] if args[0] == "train" else args), 2)


def test_predict_input_with_a_long_name(tmp_path):
    run = train_run(tmp_path, "iris.yaml")
    assert_clean(invoke(["predict", run, "--input", f"/tmp/{LONG}.csv"]), 2)
    assert_clean(invoke(["predict", run, "--input", f"/tmp/{LONG}.jpg"]), 2)


def test_devices_and_fifos_are_refused_without_blocking(tmp_path):
    run = train_run(tmp_path, "iris.yaml")
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for args in (["train", "/dev/zero"], ["train", fifo], ["summary", fifo],
                 ["train", CONFIGS / "iris_csv.yaml", "data.path=/dev/urandom"],
                 ["predict", run, "--input", "/dev/zero"], ["predict", run, "--input", fifo],
                 ["evaluate", run, "--data", fifo]):
        result = run_nncli([*args, "--runs-dir", tmp_path / "more"] if args[0] == "train" else args, timeout=60)
        assert result.returncode == 2, (args, result.stderr)
        assert "internal error" not in result.stderr
        assert "a device" in result.stderr or "named pipe" in result.stderr, (args, result.stderr)


def test_invalid_utf8_on_standard_input_is_named(tmp_path):
    run = train_run(tmp_path, "iris.yaml")
    result = invoke(["predict", run, "--input", "-"], input=b"5.1,3.5,1.4,0.2\n\xff\xfe,1,2,3\n")
    assert_clean(result, 2, "standard input is not UTF-8 text (byte 16")


def test_a_folder_named_like_a_temp_file_does_not_break_resume(tmp_path):
    run = train_run(tmp_path, "iris.yaml")
    (run / ".checkpoint.npz.1234.tmp").mkdir()
    metrics = json.loads((run / "metrics.json").read_text())
    metrics["status"] = "interrupted"
    (run / "metrics.json").write_text(json.dumps(metrics))
    result = invoke(["train", "--resume", run, "training.epochs=3", "--quiet"])
    assert result.exit_code == 0, result.stderr
    assert (run / ".checkpoint.npz.1234.tmp").is_dir()


def test_a_run_being_written_refuses_a_second_writer_naming_the_holder(tmp_path):
    run = train_run(tmp_path, "iris.yaml")
    metrics = json.loads((run / "metrics.json").read_text())
    metrics["status"] = "interrupted"
    (run / "metrics.json").write_text(json.dumps(metrics))
    with RunLock(run):
        result = invoke(["train", "--resume", run, "training.epochs=3"])
    assert_clean(result, 1, "is being written by pid", str(os.getpid()))
    assert invoke(["train", "--resume", run, "training.epochs=3", "--quiet"]).exit_code == 0  # released


def test_divergence_first_seen_at_the_final_evaluation_is_a_clean_failure(tmp_path):
    """Weights that are finite but make the held-out outputs NaN (inf - inf): the first wave let
    scikit-learn's auc fail on them ("Input contains NaN") and left metrics.json running."""
    from nncli.engine import callbacks

    class Blowup(callbacks.Callback):  # after the last epoch, as an unlucky final update would leave it
        def on_train_end(self, logs=None):
            self.model.layers[0].kernel[...] = 3e38
            self.model.layers[2].kernel[:, 0] = -3e38  # layers: Dense, Dropout, Dense

    callbacks.CALLBACKS.add("blowup", Blowup)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # an overflow warning reaching the user would fail here
            result = invoke(["train", CONFIGS / "breast_cancer.yaml", "training.blowup={}", "training.epochs=2",
                             "training.early_stopping=null", "--runs-dir", tmp_path, "--no-plots"])
    finally:
        callbacks.CALLBACKS.remove("blowup")
    assert_clean(result, 1, "the model's outputs are NaN or infinite", "weights diverged")
    metrics = json.loads((tmp_path / "breast_cancer" / "metrics.json").read_text())
    assert metrics["status"] == "failed" and "NaN or infinite" in metrics["reason"]


def test_a_config_that_is_not_yaml_does_not_echo_its_content(tmp_path):
    secret = tmp_path / "notes.yaml"
    secret.write_text("password: {hunter2 [unbalanced\n")
    result = invoke(["train", secret])
    assert_clean(result, 2)
    assert "hunter2" not in result.stderr


@pytest.mark.parametrize("text", ["root:x:0:0:hunter2:/root:/bin/bash\n", "hunter2\n", "- hunter2\n"])
def test_a_file_that_is_valid_yaml_but_not_a_config_is_not_echoed(tmp_path, text):
    """/etc/passwd parses as one YAML string; the message says what the file is, not what it holds."""
    other = tmp_path / "passwd"
    other.write_text(text)
    result = invoke(["train", other])
    assert_clean(result, 2, "the top level must be a mapping")
    assert "hunter2" not in result.stderr


def test_emoji_codes_in_names_are_printed_as_typed(tmp_path):
    """Rich turns ':x:' into an emoji unless told not to; a path is printed exactly."""
    result = invoke(["train", tmp_path / "a:x:b.yaml"])
    assert_clean(result, 2, "a:x:b.yaml")


def test_class_weight_keys_are_checked_against_the_classes(tmp_path):
    result = invoke(["train", CONFIGS / "breast_cancer.yaml", "training.class_weight={500000000: 1.0}",
                     "--runs-dir", tmp_path, "--no-plots"])
    assert_clean(result, 2, "class_weight has the key 500000000, but the classes are 0 to 1")


def test_listing_a_runs_folder_with_a_hostile_run_warns_and_lists_the_rest(tmp_path):
    good = train_run(tmp_path, "iris.yaml")
    bad = Path(tmp_path) / "bad"
    bad.mkdir()
    (bad / "config.yaml").write_text("name: bad\n")
    (bad / "metrics.json").write_text("[" * 5000 + "]" * 5000)
    result = invoke(["runs", tmp_path, "--json"])
    assert result.exit_code == 0
    assert [row["name"] for row in json.loads(result.stdout)] == [good.name]
    assert f"warning: skipped {bad}" in result.stderr.replace("\n", "")


def test_a_full_disk_at_the_final_model_write_is_recorded_in_metrics(tmp_path, monkeypatch):
    """ENOSPC while model.npz is flushed (the real atomic writer; fsync of its temp file fails):
    exit 1 naming the file, metrics.json says failed with the reason, no temp file is left."""
    real_fsync = os.fsync

    def fsync(fd):
        if ".model.npz." in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_fsync(fd)

    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc/self/fd to tell the model file's descriptor")
    monkeypatch.setattr(os, "fsync", fsync)
    result = invoke(["train", CONFIGS / "iris.yaml", "training.epochs=2", "--runs-dir", tmp_path, "--no-plots"])
    assert_clean(result, 1, "could not write", "model.npz", "No space left on device")
    run = next(tmp_path.iterdir())
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["status"] == "failed" and "No space left on device" in metrics["reason"]
    assert metrics["epochs_completed"] == 2
    assert not (run / "model.npz").exists()
    assert not [p.name for p in run.iterdir() if p.name.endswith(".tmp")]
