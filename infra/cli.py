"""`flask audit verify`, `flask backup FILE`, `flask restore FILE`."""
import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from infra.audit import verify_chain, write_checkpoint
from infra.backup import BackupError, backup, restore


audit = AppGroup("audit", help="审计日志 / the audit trail")


@audit.command("verify")
def audit_verify():
    """Walk the hash chain; exit 1 naming the first broken row."""
    report = verify_chain()
    if not report.ok:
        click.echo(str(report), err=True)
        raise SystemExit(1)
    click.echo(str(report))


@audit.command("checkpoint")
def audit_checkpoint():
    """Sign the chain head now and append it to the checkpoint file outside the database."""
    checkpoint = write_checkpoint()
    click.echo(f"audit checkpoint: seq {checkpoint['seq']} head {checkpoint['head']} signed by {checkpoint['kid']}")


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup_command(file):
    """Write every table to FILE (a zip of JSON lines)."""
    summary = backup(file)
    click.echo(f"backed up {summary.rows} rows of {summary.tables} tables to {file}")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="清空现有数据后恢复 / empty a non-empty database first")
@with_appcontext
def restore_command(file, force):
    """Load FILE into an empty database (refuses a non-empty one unless --force)."""
    try:
        summary = restore(file, force=force)
    except BackupError as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"restored {summary.rows} rows of {summary.tables} tables from {file}")


def register(app: Flask) -> None:
    app.cli.add_command(audit)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
