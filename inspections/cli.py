"""Station and inspection commands."""
from flask import Flask


def register(app: Flask) -> None:
    """Nothing yet: inspections are created through the pages and the API."""
