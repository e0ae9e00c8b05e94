"""The form of the re-issue page: a reason and a confirmation."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, TextAreaField
from wtforms.validators import DataRequired, Length

from infra.schemas import REASON_LENGTH


class ReissueForm(FlaskForm):
    """换发新证书: every QR printed from the current certificate stops showing it, so ask why and to confirm."""

    reason = TextAreaField(_l("换发理由（必填）"), validators=[DataRequired(_l("换发证书必须填写理由")), Length(max=REASON_LENGTH)])
    confirm = BooleanField(_l("我确认：原证书及已印制的二维码将全部作废"),
                           validators=[DataRequired(_l("请勾选“我确认”后再换发"))])
