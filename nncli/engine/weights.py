"""Every trainable weight of a model in one flat vector, and every gradient in another.

Layers hold views into the two vectors, so an optimizer step updates the whole model in one
pass over them (``engine/optimizers.py``) and a checkpoint is two arrays. Non-trainable state
(BatchNormalization's moving statistics) stays in the layers.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nncli.errors import ConfigError, ShapeError

#: Copies of the weights a fit holds at once: weights, gradients, and up to four optimizer
#: slots (AdamW with amsgrad), for the memory check before building.
COPIES_IN_TRAINING = 6


def check_size(layers: list[Any], input_dim: int, dtype: Any) -> None:
    """Refuse, before allocating, a model whose weights, gradients and optimizer state would not
    fit in memory (``ConfigError`` with both sizes)."""
    from nncli.io import check_fits

    total, size = 0, input_dim
    for layer in layers:
        total += layer.weight_count(size)
        size = layer.compute_output_dim(size)
    check_fits(COPIES_IN_TRAINING * total * np.dtype(dtype).itemsize, f"a model of {total:,} weights",
               "use fewer or smaller layers", ConfigError)


def pack(layers: list[Any], dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    """Move every built layer's trainable weights into one flat vector (and bind a flat gradient
    vector beside it); the layers keep views into both."""
    total = sum(int(p.size) for layer in layers for p in layer.params.values())
    params = np.empty(total, dtype=dtype)
    grads = np.zeros(total, dtype=dtype)
    offset = 0
    for layer in layers:
        param_views, grad_views = {}, {}
        for key, value in layer.params.items():
            end = offset + value.size
            param_views[key] = params[offset:end].reshape(value.shape)
            param_views[key][...] = value
            grad_views[key] = grads[offset:end].reshape(value.shape)
            offset = end
        layer.bind(param_views, grad_views)
    return params, grads


def set_weights(layers: list[Any], weights: list[Any]) -> None:
    """Copy ``weights`` (Keras's order, as ``get_weights`` gives them) into the layers; a wrong
    count or shape is a ``ShapeError`` naming the weight."""
    expected = [(layer, name, w) for layer in layers for name, w in zip(layer.weight_names(), layer.weights())]
    if len(weights) != len(expected):
        listing = ", ".join(f"{layer.name}.{name} {tuple(w.shape)}" for layer, name, w in expected)
        raise ShapeError(f"set_weights expects {len(expected)} arrays ({listing}); got {len(weights)}")
    for (layer, name, target), value in zip(expected, weights):
        value = np.asarray(value)
        if value.shape != target.shape:
            raise ShapeError(
                f"set_weights: {layer.name}.{name} has shape {target.shape}; got an array of shape {value.shape}"
            )
        target[...] = value
