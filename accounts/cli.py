"""`flask users create|token|tokens|revoke-token|disable|enable`."""
from contextlib import contextmanager

import click
from flask import Flask
from flask.cli import AppGroup

from infra.clock import utcnow
from infra.errors import AppError
from accounts import services
from accounts.models import Role

users = AppGroup("users", help="管理用户 / manage users")


@contextmanager
def refused_plainly():
    """Say a refused account operation in one line (exit 1), never as a traceback."""
    try:
        yield
    except AppError as err:
        raise click.ClickException(str(err)) from None


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
    with refused_plainly():
        user = services.create_user(username, role, password, station_code=station_code,
                                    firm_uscc=firm_uscc, display_name=display_name,
                                    alliance_codes=alliance_codes)
    click.echo(f"created {user.username} ({user.role})")


@users.command("token")
@click.argument("username")
@click.option("--days", type=click.IntRange(1, 3650), default=services.DEFAULT_TOKEN_DAYS, show_default=True,
              help="有效天数 / days the token is valid")
@click.option("--keep-others", is_flag=True, help="保留该用户的其他令牌 / do not retire the user's other tokens")
def token(username, days, keep_others):
    """Print a new API token for USERNAME (alone on the last line); its older tokens retire."""
    with refused_plainly():
        value = services.issue_token(username, days, keep_others=keep_others)
    click.echo(value)


@users.command("tokens")
@click.argument("username")
def tokens(username):
    """List USERNAME's tokens: id, state, created, expires (the secrets themselves are never shown again)."""
    with refused_plainly():
        rows = services.tokens_of(username)
    now = utcnow()
    if not rows:
        click.echo("no tokens")
    for row in rows:
        expires = row.expires_at.isoformat(timespec="minutes") + "Z" if row.expires_at else "never"
        click.echo(f"{row.id:>6}  {row.state(now):<8}  created {row.created_at.isoformat(timespec='minutes')}Z  "
                   f"expires {expires}")


@users.command("revoke-token")
@click.argument("username")
@click.argument("token_id", required=False, type=int)
@click.option("--all", "all_tokens", is_flag=True, help="吊销该用户的全部令牌 / revoke every token of the user")
def revoke_token(username, token_id, all_tokens):
    """Revoke one of USERNAME's tokens (TOKEN_ID) or all of them (--all); they answer 401 at once."""
    if (token_id is None) == (not all_tokens):
        raise click.UsageError("give a TOKEN_ID or --all, not both")
    with refused_plainly():
        count = services.revoke_tokens(username, token_id)
    click.echo(f"revoked {count} token(s) of {username}")


@users.command("disable")
@click.argument("username")
def disable(username):
    """Disable USERNAME: its sessions and tokens stop working at once."""
    with refused_plainly():
        services.set_enabled(username, False)
    click.echo(f"disabled {username}; its sessions ended and its tokens revoked")


@users.command("enable")
@click.argument("username")
def enable(username):
    """Enable USERNAME again (it signs in anew; old tokens stay revoked)."""
    with refused_plainly():
        services.set_enabled(username, True)
    click.echo(f"enabled {username}")


def register(app: Flask) -> None:
    app.cli.add_command(users)
