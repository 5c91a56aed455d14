"""The finiteness check of features: one summing pass, the chunk search only when it fails."""

from __future__ import annotations

import numpy as np
import pytest

from nncli.engine import inputs
from nncli.errors import DataError


def test_finite_values_whose_sum_overflows_pass():
    x = np.full((5000, 3), 3e38, dtype=np.float32)
    assert inputs.features(x, np.float32) is x


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_non_finite_value_is_found_where_it_is(bad):
    x = np.zeros((5000, 4))
    x[4321, 2] = bad
    with pytest.raises(DataError, match="row 4321, column 2"):
        inputs.features(x, np.float64)


def test_infinities_of_both_signs_do_not_cancel():
    x = np.array([[1.0, np.inf], [-np.inf, 2.0]])
    with pytest.raises(DataError, match="row 0, column 1"):
        inputs.features(x, np.float64)
