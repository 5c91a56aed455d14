"""Layers: ``Dense``, ``Dropout``, ``BatchNormalization``.

Lifecycle, as in Keras: ``__init__`` checks the arguments, ``build(input_dim, rng, dtype)``
makes the weights, ``forward``/``backward`` do the math of one training batch, ``infer`` the
math at prediction time, ``get_config`` returns the arguments that rebuild the layer.

Trainable weights are handed to the model after ``build``; the model packs them into one flat
vector and gives each layer views into it (``bind``), so the optimizer updates all of them with a
few vector operations. Training buffers are allocated once per batch size and reused.
"""

from __future__ import annotations

from typing import Any

# In Keras's order, which is the registry's (and the schema's and the docs') order of names.
from nncli.engine.layers.base import LAYERS, Layer, positive_int
from nncli.engine.layers.dense import Dense
from nncli.engine.layers.dropout import Dropout
from nncli.engine.layers.batch_normalization import BatchNormalization  # noqa: I001
from nncli.errors import ConfigError

__all__ = ["LAYERS", "BatchNormalization", "Dense", "Dropout", "Layer", "from_config", "positive_int"]


def from_config(config: dict[str, Any]) -> Layer:
    """A layer from ``{"type": "Dense", "units": 10, ...}`` (the YAML form)."""
    args = dict(config)
    type_name = args.pop("type", None)
    if type_name is None:
        raise ConfigError(f"a layer needs a 'type' such as 'Dense'. Received: {config!r}")
    cls = LAYERS[type_name]
    try:
        return cls(**args)
    except TypeError as error:
        raise ConfigError(f"bad arguments for layer {type_name!r}: {error}") from None
