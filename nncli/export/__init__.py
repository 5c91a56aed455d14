"""Exporting trained models to other formats (``nncli.export.onnx``: the ONNX graph).

Nothing is imported here: ``onnx`` and ``onnxruntime`` are optional (``pip install
nncli[export]``) and loaded only by ``nncli.export.onnx``, so ``nncli --help`` never pays for them.
"""
