"""nncli: dense neural networks on NumPy, the Keras way, driven by YAML files."""

from nncli import layers
from nncli.model import Sequential

__version__ = "0.1.0"
__all__ = ["Sequential", "layers", "__version__"]
