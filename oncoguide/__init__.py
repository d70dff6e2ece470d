"""OncoGuide: medical records of a person with cancer in, cited guidance out. Not medical advice."""

__version__ = "0.1.0"
