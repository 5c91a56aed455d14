"""One experiment from a config: data → model → training → run directory, and back.

This is the library behind the commands: ``summarize`` (summary), ``train_config``/``train`` and
``resume`` (train), ``evaluate_run``, ``predict_run``, ``draw_pictures`` (plot) and ``load_run``
(the Python API). It never prints; progress goes out through the callbacks the caller passes in.
"""

from nncli.experiment.evaluation import LoadedRun, evaluate_run, load_run, predict_run
from nncli.experiment.pictures import Drawing, draw_pictures
from nncli.experiment.portable import Exported, export_run, gradcheck_target
from nncli.experiment.prepare import PreparedData, build_model, prepare, summarize
from nncli.experiment.training import TrainResult, epochs_saved, resume, train, train_config

__all__ = ["Drawing", "Exported", "LoadedRun", "PreparedData", "TrainResult", "build_model", "draw_pictures", "epochs_saved",
           "evaluate_run", "export_run", "gradcheck_target", "load_run", "predict_run", "prepare", "resume", "summarize", "train", "train_config"]
