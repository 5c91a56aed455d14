"""The Keras-like engine: layers, activations, losses, optimizers, metrics, callbacks and
``Sequential``, on NumPy. It imports nothing of the application (config, data, runs, cli)."""
