"""Forms of the mark, licence, payment and portal pages."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms.fields.choices import SelectChoice
from wtforms import BooleanField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from infra.schemas import REASON_LENGTH, column_length
from trademark.models import Mark, Payment


class MarkForm(FlaskForm):
    code = StringField(_l("标志代码"), validators=[DataRequired(_l("请填写标志代码")), Length(max=column_length(Mark.code))])
    alliance = SelectField(_l("所属联盟"), validators=[DataRequired(_l("请选择联盟"))])
    name = StringField(_l("标志名称"), validators=[DataRequired(_l("请填写标志名称")), Length(max=column_length(Mark.name))])
    type = SelectField(_l("标志类型"), choices=[SelectChoice("collective", _l("集体商标（仅限会员）")),
                                           SelectChoice("certification", _l("证明商标（符合条件即可）"))])
    registration_no = StringField(_l("商标注册号"), validators=[Optional(), Length(max=column_length(Mark.registration_no))])
    standard = SelectField(_l("依据的联盟标准"), validators=[Optional()])
    fee_per_year = StringField(_l("年使用费（元，留空为免费）"), validators=[Optional(), Length(max=column_length(Mark.fee_per_year))])
    validity_years = IntegerField(_l("许可有效期（年）"), default=3,
                                  validators=[DataRequired(_l("请填写有效期")), NumberRange(min=1, max=10, message=_l("1 至 10 年"))])
    image = FileField(_l("标志图样（PNG 或 JPEG，不超过 1 MB）"))


class ApplyForm(FlaskForm):
    firm = SelectField(_l("申请企业"), validators=[DataRequired(_l("请选择企业"))])
    mark = SelectField(_l("申请使用的标志"), validators=[DataRequired(_l("请选择标志"))])
    models = SelectMultipleField(_l("许可范围（产品型号）"), validators=[DataRequired(_l("至少选择一个产品型号"))])
    commitment_signed = BooleanField(_l("已提交签署的承诺书"))


class LicenceActionForm(FlaskForm):
    # The choices follow the licence's status (rules.action_options); the view sets them.
    action = SelectField(_l("操作"), choices=[])
    reason = TextAreaField(_l("理由（必填）"), validators=[DataRequired(_l("手工操作必须填写理由")), Length(max=REASON_LENGTH)])
    # Checked by the view for the irreversible actions (rules.needs_confirmation), never only in the browser.
    confirm = BooleanField(_l("我确认：此项不可恢复，已核对无误"))


class WithdrawForm(FlaskForm):
    """A firm withdraws its own application: final, so with a reason and a tick."""

    reason = TextAreaField(_l("撤回理由（必填）"), validators=[DataRequired(_l("撤回申请必须填写理由")), Length(max=REASON_LENGTH)])
    confirm = BooleanField(_l("我确认撤回此申请（撤回后可重新申请）"), validators=[DataRequired(_l("请勾选“我确认”后再撤回"))])


class PaymentForm(FlaskForm):
    year = IntegerField(_l("年度"), validators=[DataRequired(_l("请填写年度")), NumberRange(min=2000, max=2100)])
    amount = StringField(_l("金额（元）"), validators=[DataRequired(_l("请填写金额")), Length(max=column_length(Payment.amount))])
