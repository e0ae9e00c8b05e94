"""`flask seed-demo` and `flask sweep`."""
import sys

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
@click.option("--batch-size", type=click.IntRange(1, 10000), default=services.SWEEP_BATCH, show_default=True,
              help="licences loaded, judged and committed together")
def sweep(today, batch_size):
    """Apply the time-based usage rules to every licence and membership (idempotent)."""
    day = today.date() if today else clock.today()

    def show(d):
        click.echo(f"licence #{d.licence_id}: {d.from_status} → {d.to_status} [{d.rule}] {d.reason}")

    total = services.count_live_licences()
    # The progress bar draws only on a terminal (stderr), so logs and pipes get the decisions alone.
    with click.progressbar(length=total, label=f"sweep {day.isoformat()}", file=sys.stderr,
                           show_pos=True) as bar:
        report = services.sweep(day, batch_size=batch_size, on_batch=bar.update, on_decision=show)
    audit.write_checkpoint()  # after the sweep's commits: the signed head covers what it decided
    click.echo(f"sweep {day.isoformat()}: {report.licences} licences, {report.memberships} expelled memberships "
               f"checked, {report.decisions} decisions")
    if report.repaired:  # a write that missed them: the queues read these stored days
        click.echo(f"  stored due dates repaired: {report.repaired} licences")
    for key, n in sorted(report.by_rule.items()):
        click.echo(f"  {key}: {n}")
    for code, (left, why) in sorted(report.skipped.items()):
        click.echo(f"sweep: mark {code} not judged ({left} licences left as they are): {why}; "
                   "correct its usage rules on the mark's page and run the sweep again", err=True)
    if report.skipped:
        sys.exit(1)  # the rest was judged and committed; a scheduler must still see that this was not all


def register(app: Flask) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(sweep)
