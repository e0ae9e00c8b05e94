"""`flask import-standard FILE`."""
from pathlib import Path

import click
from flask import Flask

from compliance import services
from infra.errors import AppError


@click.command("import-standard")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_standard(file: Path):
    """Import a standard version from a YAML file (SPEC §7); refuse it whole on any problem."""
    try:
        version = services.import_standard(file.read_text(encoding="utf-8-sig"))
    except AppError as err:
        lines = [str(err)] + [f"  {p['where']} · {p['field']}: {p['message']}" for p in err.problems()]
        raise click.ClickException("\n".join(lines)) from None
    click.echo(f"imported {version.standard.code} {version.label} ({version.status}, {len(version.clauses)} clauses)")


def register(app: Flask) -> None:
    app.cli.add_command(import_standard)
