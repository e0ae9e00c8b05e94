"""`flask users create|token`, `flask audit verify`, `flask backup FILE`, `flask restore FILE`."""
import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from accounts import services
from accounts.models import Role

users = AppGroup("users", help="管理用户 / manage users")


@users.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--station", "station_code", help="检测站代码（检测员、审核员）")
@click.option("--firm", "firm_uscc", help="企业统一社会信用代码（企业用户）")
@click.option("--password", help="不提供时将提示输入")
@click.option("--name", "display_name", help="显示姓名")
def create(username, role, station_code, firm_uscc, password, display_name):
    """Create a user."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = services.create_user(username, role, password, station_code=station_code,
                                    firm_uscc=firm_uscc, display_name=display_name)
    except services.AccountError as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"created {user.username} ({user.role})")


@users.command("token")
@click.argument("username")
def token(username):
    """Print a new API token for USERNAME (alone on the last line)."""
    try:
        value = services.issue_token(username)
    except services.AccountError as err:
        raise click.ClickException(str(err)) from None
    click.echo(value)


audit = AppGroup("audit", help="审计日志 / the audit trail")


@audit.command("verify")
def audit_verify():
    """Walk the hash chain; exit 1 naming the first broken row."""
    from accounts.audit import verify_chain

    report = verify_chain()
    if not report.ok:
        click.echo(str(report), err=True)
        raise SystemExit(1)
    click.echo(str(report))


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup_command(file):
    """Write every table to FILE (a zip of JSON lines)."""
    from accounts.backup import backup

    summary = backup(file)
    click.echo(f"backed up {summary.rows} rows of {summary.tables} tables to {file}")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--force", is_flag=True, help="清空现有数据后恢复 / empty a non-empty database first")
@with_appcontext
def restore_command(file, force):
    """Load FILE into an empty database (refuses a non-empty one unless --force)."""
    from accounts.backup import BackupError, restore

    try:
        summary = restore(file, force=force)
    except BackupError as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"restored {summary.rows} rows of {summary.tables} tables from {file}")


def register(app: Flask) -> None:
    app.cli.add_command(users)
    app.cli.add_command(audit)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
