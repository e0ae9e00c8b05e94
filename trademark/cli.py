"""`flask seed-demo` (and the licence commands, later)."""
import click
from flask import Flask


@click.command("seed-demo")
def seed_demo():
    """Load the demo world: both example standards, alliances, stations, firms and users."""
    from trademark import demo

    for line in demo.seed():
        click.echo(line)


def register(app: Flask) -> None:
    app.cli.add_command(seed_demo)
