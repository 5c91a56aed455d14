"""nncli.io: atomic writes, bounded safe reads, JSON and YAML, npz without pickle."""

from __future__ import annotations

import errno
import math
import os
import stat
import tempfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from cli_helpers import temp_files
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nncli.errors import DataError, NncliError, RunDirError, UsageError
from nncli.io import (
    atomic_write_bytes,
    atomic_write_text,
    load_npz,
    read_json,
    read_text,
    save_npz,
    write_json,
    write_yaml,
)

# --------------------------------------------------------------------------- atomic writers


def test_atomic_write_replaces_content_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "summary.txt"
    atomic_write_text(target, "first ü\n")
    atomic_write_text(target, "second\n")
    atomic_write_bytes(tmp_path / "raw.bin", b"\x00\x01")
    assert target.read_text(encoding="utf-8") == "second\n"
    assert (tmp_path / "raw.bin").read_bytes() == b"\x00\x01"
    assert temp_files(tmp_path) == []


def test_atomic_write_gives_files_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "a.txt", "x")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o644


def test_failure_before_rename_keeps_the_old_file_and_removes_the_temp(tmp_path, monkeypatch):
    target = tmp_path / "metrics.json"
    target.write_text("old")

    def no_space(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(RunDirError) as caught:
        write_json(target, {"status": "completed"})
    assert str(caught.value).startswith(f"could not write {target}: No space left on device")
    assert target.read_text() == "old"
    assert temp_files(tmp_path) == []


def test_failing_rename_onto_a_folder_removes_the_temp(tmp_path):
    target = tmp_path / "model.npz"
    target.mkdir()
    with pytest.raises(RunDirError, match="could not write"):
        save_npz(target, {"w": np.ones(3)})
    assert target.is_dir()
    assert temp_files(tmp_path) == []


def test_writing_into_a_missing_folder_is_a_run_dir_error(tmp_path):
    with pytest.raises(RunDirError, match="No such file or directory"):
        atomic_write_text(tmp_path / "missing" / "a.txt", "x")


def test_an_exception_inside_the_writer_removes_the_temp(tmp_path):
    class Unsaveable:
        pass

    with pytest.raises(RunDirError, match="Unsaveable at a.b"):
        write_json(tmp_path / "m.json", {"a": {"b": Unsaveable()}})
    assert list(tmp_path.iterdir()) == []


def test_write_json_converts_numpy_and_non_finite_values(tmp_path):
    target = tmp_path / "metrics.json"
    write_json(
        target,
        {
            "loss": np.float32(0.25),
            "count": np.int64(7),
            "ok": np.bool_(True),
            "bad": float("nan"),
            "big": np.float64("inf"),
            "neg": -math.inf,
            "shape": (3, 4),
            "weights": np.array([[1.5, np.nan]]),
            "where": tmp_path,
        },
    )
    text = target.read_text()
    assert text.splitlines()[1].startswith('  "loss"')  # indent 2
    assert "NaN" not in text and "Infinity" not in text
    assert read_json(target) == {
        "loss": 0.25,
        "count": 7,
        "ok": True,
        "bad": None,
        "big": None,
        "neg": None,
        "shape": [3, 4],
        "weights": [[1.5, None]],
        "where": str(tmp_path),
    }


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20,
)


def _expected_json(value):
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, list):
        return [_expected_json(item) for item in value]
    if isinstance(value, dict):
        return {key: _expected_json(item) for key, item in value.items()}
    return value


@settings(max_examples=60, deadline=None)
@given(value=json_values)
def test_json_round_trip(value):
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "x.json"
        write_json(target, value)
        assert read_json(target) == _expected_json(value)


def test_read_json_errors(tmp_path):
    with pytest.raises(RunDirError, match="not found: .*nope.json"):
        read_json(tmp_path / "nope.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"a": 1,\n')
    with pytest.raises(RunDirError, match="not valid JSON .line 2"):
        read_json(broken)


def test_write_yaml_keeps_key_order_and_is_safe_yaml(tmp_path):
    target = tmp_path / "config.yaml"
    config = {"name": "lfw", "seed": np.int64(0), "data": {"test_size": np.float32(0.25), "source": "lfw"},
              "model": {"layers": [{"type": "Dense", "units": 20}]}, "shape": (31, 23)}
    write_yaml(target, config)
    text = target.read_text()
    assert "!!" not in text
    assert [line.split(":")[0] for line in text.splitlines() if not line.startswith(" ")][:4] == [
        "name", "seed", "data", "model"]
    assert yaml.safe_load(text) == {"name": "lfw", "seed": 0, "data": {"test_size": 0.25, "source": "lfw"},
                                    "model": {"layers": [{"type": "Dense", "units": 20}]}, "shape": [31, 23]}


# --------------------------------------------------------------------------- npz


def test_save_and_load_npz_round_trip(tmp_path):
    arrays = {
        "layers/0/kernel": np.arange(12, dtype=np.float32).reshape(3, 4),
        "epoch": np.array(5),
        "classes": np.array(["Colin Powell", "George W Bush"]),
        "mask": np.array([True, False]),
        "file": np.zeros((0, 2)),  # names that are also np.savez keywords must still work
        "allow_pickle": np.array([1, 2], dtype=np.int8),
    }
    target = tmp_path / "model.npz"
    save_npz(target, arrays)
    loaded = load_npz(target)
    assert list(loaded) == list(arrays)
    for key, array in arrays.items():
        assert loaded[key].dtype == array.dtype
        np.testing.assert_array_equal(loaded[key], array)
    assert set(np.load(target, allow_pickle=False).files) == set(arrays)  # a plain numpy archive
    assert temp_files(tmp_path) == []


@settings(max_examples=40, deadline=None)
@given(
    array=hnp.arrays(
        dtype=st.one_of(hnp.floating_dtypes(), hnp.integer_dtypes(), hnp.boolean_dtypes(), hnp.unicode_string_dtypes()),
        shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
    )
)
def test_npz_round_trip_any_plain_array(array):
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "a.npz"
        save_npz(target, {"a": array})
        loaded = load_npz(target)["a"]
        assert loaded.dtype == array.dtype and loaded.shape == array.shape
        np.testing.assert_array_equal(loaded, array)


def test_save_npz_refuses_object_arrays(tmp_path):
    target = tmp_path / "model.npz"
    with pytest.raises(RunDirError, match="'names' has dtype object"):
        save_npz(target, {"w": np.ones(2), "names": np.array(["a", None], dtype=object)})
    assert list(tmp_path.iterdir()) == []


class _CreatesMarkerWhenUnpickled:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def _malicious_npz(target: Path, marker: Path) -> None:
    payload = np.empty(1, dtype=object)
    payload[0] = _CreatesMarkerWhenUnpickled(marker)
    np.savez(target, weights=np.ones(3), payload=payload, allow_pickle=True)


def test_pickled_objects_are_refused_and_never_run(tmp_path):
    archive, marker = tmp_path / "model.npz", tmp_path / "pwned"
    _malicious_npz(archive, marker)
    with pytest.raises(DataError) as caught:
        load_npz(archive)
    assert "pickled Python objects" in str(caught.value)
    assert "refuses" in str(caught.value)
    assert str(archive) in str(caught.value)
    assert not marker.exists()
    # The payload is live: numpy's unsafe loader does create the marker.
    np.load(archive, allow_pickle=True)["payload"]
    assert marker.exists()


def test_a_pickle_renamed_to_npz_is_not_unpickled(tmp_path):
    import pickle

    archive, marker = tmp_path / "model.npz", tmp_path / "pwned"
    archive.write_bytes(pickle.dumps(_CreatesMarkerWhenUnpickled(marker)))
    with pytest.raises(RunDirError, match="corrupt or truncated"):
        load_npz(archive)
    assert not marker.exists()


def test_load_npz_missing_file_names_the_path(tmp_path):
    with pytest.raises(RunDirError, match="nope.npz"):
        load_npz(tmp_path / "nope.npz")


@pytest.fixture(scope="module")
def sample_npz_bytes() -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "c.npz"
        save_npz(target, {"kernel": np.arange(20, dtype=np.float32).reshape(4, 5), "names": np.array(["a", "b"])})
        return target.read_bytes()


@settings(max_examples=60, deadline=None)
@given(fraction=st.floats(0.0, 0.999))
def test_truncated_npz_is_a_run_dir_error(sample_npz_bytes, fraction):
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "c.npz"
        target.write_bytes(sample_npz_bytes[: int(fraction * len(sample_npz_bytes))])
        with pytest.raises(RunDirError, match="corrupt or truncated"):
            load_npz(target)


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_corrupted_npz_never_escapes_as_a_foreign_exception(sample_npz_bytes, data):
    position = data.draw(st.integers(0, len(sample_npz_bytes) - 1))
    corrupted = bytearray(sample_npz_bytes)
    corrupted[position] ^= data.draw(st.integers(1, 255))
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "c.npz"
        target.write_bytes(bytes(corrupted))
        try:
            load_npz(target)
        except NncliError as error:
            assert isinstance(error, (RunDirError, DataError))


def test_an_archive_marked_encrypted_is_a_clear_error(tmp_path, sample_npz_bytes):
    """One flipped flag bit (found by the test above): zipfile raises RuntimeError, nncli names it."""
    data = bytearray(sample_npz_bytes)
    data[data.find(b"PK\x03\x04") + 6] |= 1  # "encrypted", in the local header
    data[data.find(b"PK\x01\x02") + 8] |= 1  # and in the central directory
    target = tmp_path / "encrypted.npz"
    target.write_bytes(bytes(data))
    with pytest.raises(RunDirError, match="encrypted"):
        load_npz(target)


# --------------------------------------------------------------------------- bounded reads
def test_devices_and_fifos_are_refused_before_they_are_opened(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)  # no writer: an open() would block for ever
    for path, kind in ((Path("/dev/zero"), "a device"), (Path("/dev/urandom"), "a device"), (fifo, "a named pipe")):
        with pytest.raises(DataError, match=kind):
            read_text(path, what="data file", error=DataError)
        with pytest.raises(RunDirError, match=kind):
            load_npz(path)


def test_reads_stop_at_their_limit(tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("x" * 1001)
    with pytest.raises(UsageError, match="larger than 1,000 bytes"):
        read_text(big, max_bytes=1000)
    assert read_text(big, max_bytes=1001) == "x" * 1001


def test_invalid_utf8_is_named_by_its_byte(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(DataError, match=r"not UTF-8 text \(byte 3"):
        read_text(path, what="data file", error=DataError)


def test_a_name_too_long_for_the_file_system_is_a_clear_error(tmp_path):
    with pytest.raises(UsageError, match="longer than the file system allows"):
        read_text(tmp_path / ("x" * 300))


def test_json_nested_deeper_than_the_limit_is_refused_without_recursing(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 5000 + "]" * 5000)
    with pytest.raises(RunDirError, match="nests lists or objects more than 64 deep"):
        read_json(path)
    path.write_text('{"text": "[[[[ in a string is not nesting"}')
    assert read_json(path) == {"text": "[[[[ in a string is not nesting"}


def test_npz_members_are_checked_against_their_headers_before_inflating(tmp_path):
    import zipfile

    from numpy.lib import format as npy_format

    bomb = tmp_path / "bomb.npz"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("weight_000.npy", "w") as member:
            npy_format.write_array(member, np.zeros((64, 1024, 16)))  # 8 MiB that deflates to a few KB
    assert bomb.stat().st_size < 100_000
    with pytest.raises(RunDirError, match="claims 1,048,576 elements"):
        load_npz(bomb, max_elements=1_000_000)
    with pytest.raises(RunDirError, match=r"has shape \(64, 1024, 16\), expected \(4, 5\)"):
        load_npz(bomb, expected={"weight_000": (4, 5)})
    huge_header = tmp_path / "claims.npz"
    header = npy_format.header_data_from_array_1_0(np.zeros(3))
    header["shape"] = (10**12,)
    with zipfile.ZipFile(huge_header, "w") as archive:
        with archive.open("weight_000.npy", "w") as member:
            npy_format.write_array_header_1_0(member, header)
            member.write(b"\0" * 24)
    with pytest.raises(RunDirError, match="claims 1,000,000,000,000 elements"):
        load_npz(huge_header)
