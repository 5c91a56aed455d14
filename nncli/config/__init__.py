"""YAML configs: read safely, override, validate, fill every default, and hand out a typed
``Config``.

One pipeline, in this order: read the file with line tracking (``reader``); inline ``model:
path/to/architecture.yaml``; expand shorthands (``optimizer: adam`` → ``{name: adam}``); apply the
overrides, each checked against the schema (``overrides``); validate everything and collect *all*
problems (``checks``, ``schema``), then raise one ``ConfigValidationError`` whose message has one
``file:line key: message`` line per problem (``problems``); make data paths absolute; build the
typed ``Config`` (``typed``).
"""

from nncli.config.loading import load_any, load_architecture, load_config
from nncli.config.overrides import parse_override
from nncli.config.problems import ConfigProblem, ConfigValidationError
from nncli.config.schema import arguments_model, schema_rows
from nncli.config.typed import Config, DataConfig

__all__ = ["Config", "ConfigProblem", "ConfigValidationError", "DataConfig", "arguments_model", "load_any",
           "load_architecture", "load_config", "parse_override", "schema_rows"]
