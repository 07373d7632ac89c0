"""deconflict: pre-flight 4D coordination of planned operations between airspace parties."""

__version__ = "0.1.0"
