"""`flask seed-demo` and `flask sweep`."""
import click
from flask import Flask, current_app

from infra import audit, clock
from trademark import demo, services


@click.command("seed-demo")
def seed_demo():
    """Load the demo world: both example standards, alliances, stations, firms, marks, licences and users."""
    if current_app.config.get("ENV_NAME") == "production":
        # The demo passwords are published in the README: they must never exist on a live system.
        raise click.ClickException("seed-demo refuses to run with ALLIANCEMARK_ENV=production")
    for line in demo.seed():
        click.echo(line)


@click.command("sweep")
@click.option("--today", "today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="the day to judge as of (YYYY-MM-DD); default: today in the alliance's time zone")
def sweep(today):
    """Apply the time-based usage rules to every licence and membership (idempotent)."""
    day = today.date() if today else clock.today()
    report = services.sweep(day)
    audit.write_checkpoint()  # after the sweep's commit: the signed head covers what it decided
    for d in report.decisions:
        click.echo(f"licence #{d.licence_id}: {d.from_status} → {d.to_status} [{d.rule}] {d.reason}")
    click.echo(f"sweep {day.isoformat()}: {report.licences} licences, {report.memberships} expelled memberships "
               f"checked, {len(report.decisions)} decisions")


def register(app: Flask) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(sweep)
