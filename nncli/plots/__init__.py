"""A run's pictures: pure computations (``compute``), matplotlib drawing (``draw``), and the
``PICTURES`` registry that says which picture applies to a run and draws it (``pictures``)."""

from nncli.plots.compute import sparkline
from nncli.plots.draw import PlotsUnavailable
from nncli.plots.pictures import PICTURES, Picture, RunPictures, draw_all

__all__ = ["PICTURES", "Picture", "PlotsUnavailable", "RunPictures", "draw_all", "sparkline"]
