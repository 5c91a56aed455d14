"""The lecture's own Keras calls, as a student runs them with only the import line changed
(``from tensorflow.keras import Sequential, layers`` → ``from nncli import Sequential, layers``)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from cli_helpers import NUMBER
from nncli import Sequential, layers
from nncli.errors import ConfigError

EPOCH_LINE = re.compile(rf"^epoch (\d+)/(\d+) loss={NUMBER}( \w+={NUMBER})* time=\S+$")


def _lecture_faces(tmp_path):
    """The lecture's LFW split from the offline copy when present, else synthetic data of its shape."""
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    try:
        from conftest_lfw import copy_shared_lfw

        data_home = copy_shared_lfw(tmp_path)
    except pytest.skip.Exception:
        from sklearn.datasets import make_classification

        X, y = make_classification(n_samples=766, n_features=713, n_informative=40, weights=[0.31], random_state=0)
    else:
        from sklearn.datasets import fetch_lfw_people

        faces = fetch_lfw_people(data_home=data_home, min_faces_per_person=200, resize=0.25,
                                 download_if_missing=False)
        X, y = faces.data, faces.target
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=3)
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def test_the_face_classifier_cells_run_as_written(tmp_path, capsys):
    X_train, X_test, y_train, y_test = _lecture_faces(tmp_path)
    model = Sequential()
    model.add(layers.Dense(20, activation='relu', input_dim=713))
    model.add(layers.Dense(10, activation='relu'))
    model.add(layers.Dense(1, activation='sigmoid'))
    model.summary()
    model.compile(optimizer='adam', loss='binary_crossentropy', metrics='accuracy')
    history = model.fit(X_train, y_train, batch_size=16, epochs=20)
    loss, accuracy = model.evaluate(X_test, y_test)
    probabilities = model.predict(X_test)
    printed = capsys.readouterr().out.splitlines()
    assert " Total params: 14,501 (56.64 KB)" in printed
    epochs = [line for line in printed if EPOCH_LINE.match(line)]
    assert [int(EPOCH_LINE.match(line).group(1)) for line in epochs] == list(range(1, 21))
    assert all("accuracy=" in line for line in epochs)
    assert printed[-1] == f"loss={loss:.4f} accuracy={accuracy:.4f}"  # evaluate's one line
    assert list(history.history) == ["loss", "accuracy"] and len(history.history["accuracy"]) == 20
    assert probabilities.shape == (len(X_test), 1) and ((0 <= probabilities) & (probabilities <= 1)).all()
    assert accuracy > 0.69  # above always answering the majority class


def test_the_first_cells_the_61_parameter_model_and_mse(capsys):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 4)).tolist()  # plain Python lists, as a notebook cell often has
    y = [float(sum(row) > 0) for row in X]
    model = Sequential()
    model.add(layers.Dense(10, input_dim=4, activation='relu'))
    model.add(layers.Dense(1))
    model.compile(loss='mse', optimizer='adam')
    model.summary()
    model.fit(X, y, batch_size=32, epochs=10)
    result = model.evaluate(X, y)
    out = capsys.readouterr().out
    assert "Total params: 61 (244.00 B)" in out
    assert sum(bool(EPOCH_LINE.match(line)) for line in out.splitlines()) == 10
    assert isinstance(result, float)  # no metrics: a bare float, as Keras returns


def test_the_input_size_can_come_later_and_input_shape_works():
    late = Sequential()
    late.add(layers.Dense(10, activation='relu'))
    late.add(layers.Dense(1, activation='sigmoid'))
    assert not late.built
    late.compile(loss='binary_crossentropy', optimizer='adam', metrics=['accuracy'])
    late.fit(np.zeros((8, 5)), np.zeros(8), epochs=1, verbose=0)
    assert late.built and late.input_dim == 5
    mnist = Sequential([layers.Dense(64, input_shape=(784,), activation='relu'), layers.Dense(64, activation='relu'),
                        layers.Dense(10, activation='softmax')])
    assert mnist.count_params() == 55_050


def test_one_metric_as_a_string_is_a_metric_not_its_letters():
    model = Sequential([layers.Dense(1, activation='sigmoid', input_dim=3)])
    model.compile(optimizer='adam', loss='binary_crossentropy', metrics='accuracy')
    assert model.metrics_names == ["loss", "accuracy"]
    history = model.fit(np.eye(3), [0, 1, 1], epochs=2, verbose=0)
    assert set(history.history) == {"loss", "accuracy"}


@pytest.mark.parametrize(("arguments", "words"), [
    ({"metrics": 5}, r"Expected `metrics` to be a metric name or a list of them.*Received: metrics=5 of type int"
                     r" \(valid names: .*accuracy"),
    ({"metrics": {"x": 1}}, r"Received: metrics=\{'x': 1\} of type dict \(valid names: .*auc"),
    ({"loss": ["mse"]}, r"Could not interpret loss identifier: \['mse'\].*Received: list \(valid names: mse, mae"),
    ({"optimizer": 3}, r"Could not interpret optimizer identifier: 3.*Received: int \(valid names: sgd, adam"),
    ({"metrics": ["acuracy"]}, r"unknown metric 'acuracy'; did you mean 'accuracy'"),
])
def test_wrong_spellings_say_what_was_received_and_what_is_valid(arguments, words):
    model = Sequential([layers.Dense(1, activation='sigmoid', input_dim=3)])
    with pytest.raises(ConfigError, match=words):
        model.compile(**{"optimizer": "adam", "loss": "binary_crossentropy", **arguments})


def test_fit_and_evaluate_print_nothing_with_verbose_0(capsys):
    model = Sequential([layers.Dense(1, activation='sigmoid', input_dim=3)])
    model.compile(optimizer='adam', loss='binary_crossentropy', metrics='accuracy')
    model.fit(np.eye(3), [0, 1, 1], epochs=3, verbose=0)
    model.evaluate(np.eye(3), [0, 1, 1], verbose=0)
    assert capsys.readouterr().out == ""
