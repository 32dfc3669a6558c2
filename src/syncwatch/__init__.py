"""syncwatch: watch and operate third-party integrations from the terminal."""

__version__ = "0.1.0"
