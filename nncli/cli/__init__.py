"""The command line: ``nncli summary | train | evaluate | predict | runs | plot``."""

from nncli.cli.app import app, main

__all__ = ["app", "main"]
