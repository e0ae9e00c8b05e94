"""`flask users create|token`, `flask audit verify`, `flask backup FILE`, `flask restore FILE`."""
import click
from flask import Flask
from flask.cli import AppGroup

from infra.errors import AppError
from accounts import services
from accounts.models import Role

users = AppGroup("users", help="管理用户 / manage users")


@users.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--station", "station_code", help="检测站代码（检测员、审核员）")
@click.option("--firm", "firm_uscc", help="企业统一社会信用代码（企业用户）")
@click.option("--alliance", "alliance_codes", multiple=True,
              help="所服务的联盟代码，可重复（协会工作人员必填；管理员为全局）")
@click.option("--password", help="不提供时将提示输入")
@click.option("--name", "display_name", help="显示姓名")
def create(username, role, station_code, firm_uscc, alliance_codes, password, display_name):
    """Create a user."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = services.create_user(username, role, password, station_code=station_code,
                                    firm_uscc=firm_uscc, display_name=display_name,
                                    alliance_codes=alliance_codes)
    except AppError as err:
        raise click.ClickException(str(err)) from None
    click.echo(f"created {user.username} ({user.role})")


@users.command("token")
@click.argument("username")
def token(username):
    """Print a new API token for USERNAME (alone on the last line)."""
    try:
        value = services.issue_token(username)
    except AppError as err:
        raise click.ClickException(str(err)) from None
    click.echo(value)


def register(app: Flask) -> None:
    app.cli.add_command(users)
