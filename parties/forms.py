"""Forms of the parties' pages."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from infra.schemas import REASON_LENGTH, column_length
from parties.models import Alliance, Firm, ProductModel


class AllianceForm(FlaskForm):
    code = StringField(_l("联盟代码"), validators=[DataRequired(_l("请填写联盟代码")), Length(max=column_length(Alliance.code))])
    name = StringField(_l("联盟名称"), validators=[DataRequired(_l("请填写联盟名称")), Length(max=column_length(Alliance.name))])
    secretariat = StringField(_l("秘书处"), validators=[Optional(), Length(max=column_length(Alliance.secretariat))])


class FirmForm(FlaskForm):
    name = StringField(_l("企业名称"), validators=[DataRequired(_l("请填写企业名称")), Length(max=column_length(Firm.name))])
    uscc = StringField(_l("统一社会信用代码"), validators=[DataRequired(_l("请填写统一社会信用代码")), Length(max=column_length(Firm.uscc), min=18, message=_l("统一社会信用代码应为18位"))])
    address = StringField(_l("地址"), validators=[Optional(), Length(max=column_length(Firm.address))])
    contact = StringField(_l("联系人及电话"), validators=[Optional(), Length(max=column_length(Firm.contact))])


class ProductModelForm(FlaskForm):
    model = StringField(_l("产品型号"), validators=[DataRequired(_l("请填写产品型号")), Length(max=column_length(ProductModel.model))])
    category = StringField(_l("产品类别"), validators=[DataRequired(_l("请填写产品类别")), Length(max=column_length(ProductModel.category))])


class AdmitForm(FlaskForm):
    alliance = SelectField(_l("联盟"), validators=[DataRequired(_l("请选择联盟"))])


class ExpelForm(FlaskForm):
    reason = TextAreaField(_l("清退理由"), validators=[DataRequired(_l("清退必须写明理由")), Length(max=REASON_LENGTH)])
