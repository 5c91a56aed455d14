"""The errors nncli raises.

The library never prints or exits: it raises one of these, with a message that already reads
well (what was received, what was expected, the closest valid name). The command line turns
them into one line on stderr and the exit code given by ``exit_code``.
"""

from __future__ import annotations


class NncliError(Exception):
    """Base class of every error nncli raises on purpose (exit code 1: a runtime failure)."""

    exit_code = 1


class UsageError(NncliError):
    """The user asked for something that cannot work: bad arguments, config or input (exit 2)."""

    exit_code = 2


class ConfigError(UsageError):
    """A config value, key or name is wrong."""


class UnknownNameError(ConfigError):
    """A name (activation, loss, optimizer, ...) is not in its registry."""


class ShapeError(UsageError):
    """Arrays or layers do not fit together (input size, number of features, label shape)."""


class DataError(UsageError):
    """A data file or array given by the user cannot be used as it is."""


class DataUnavailableError(NncliError):
    """Data could not be obtained (no network, no cache): a runtime failure."""


class TrainingDivergedError(NncliError):
    """The loss or a weight became NaN or infinite during training."""


class RunDirError(NncliError):
    """A run directory cannot be created, written or read."""


class TrainingInterrupted(NncliError):
    """Training was stopped on request (Ctrl-C, SIGTERM) after a batch (exit 130)."""

    exit_code = 130
