"""Every registered loss with each of its options turned on: the cases the gradient tests share."""

from __future__ import annotations

import inspect
from typing import Any

from nncli.engine import losses


def loss_variants() -> list[tuple[str, dict[str, Any]]]:
    """(loss name, constructor options) for every loss, with each of its options turned on."""
    variants = []
    for name in losses.LOSSES.names():
        accepted = inspect.signature(losses.LOSSES[name]).parameters
        variants.append((name, {}))
        if "from_logits" in accepted:
            variants.append((name, {"from_logits": True}))
        if "label_smoothing" in accepted:
            variants.append((name, {"label_smoothing": 0.1}))
        if "from_logits" in accepted and "label_smoothing" in accepted:
            variants.append((name, {"from_logits": True, "label_smoothing": 0.2}))
    return variants
