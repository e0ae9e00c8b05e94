"""Station pages (inspection pages build on this)."""
from flask import Blueprint, flash, redirect, render_template, url_for

from accounts.access import STAFF, allow
from compliance.models import Standard
from extensions import db
from inspections import services
from inspections.forms import StationForm
from inspections.models import Station
from trademark.services import FieldError

bp = Blueprint("inspections", __name__)


@bp.route("/stations", methods=["GET", "POST"])
@allow(*STAFF)
def stations():
    form = StationForm()
    form.scope.choices = [(s.code, f"{s.code} {s.title}") for s in
                          db.session.execute(db.select(Standard).order_by(Standard.code)).scalars()]
    if form.validate_on_submit():
        try:
            row = services.create_station(form.code.data, form.name.data, form.accreditation.data, form.scope.data)
        except FieldError as err:
            getattr(form, err.field).errors.append(err.message)
        else:
            flash(f"已创建检测站 {row.code}。")
            return redirect(url_for("inspections.stations"))
    rows = db.session.execute(db.select(Station).order_by(Station.code)).scalars().all()
    return render_template("inspections/stations.html", stations=rows, form=form)
