"""healthcard: one identity, one health card, one QR code, one lifelong health record."""

__version__ = "0.1.0"
