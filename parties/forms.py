"""Forms of the parties' pages."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class AllianceForm(FlaskForm):
    code = StringField(_l("联盟代码"), validators=[DataRequired(_l("请填写联盟代码")), Length(max=32)])
    name = StringField(_l("联盟名称"), validators=[DataRequired(_l("请填写联盟名称")), Length(max=200)])
    secretariat = StringField(_l("秘书处"), validators=[Optional(), Length(max=200)])


class FirmForm(FlaskForm):
    name = StringField(_l("企业名称"), validators=[DataRequired(_l("请填写企业名称")), Length(max=200)])
    uscc = StringField(_l("统一社会信用代码"), validators=[DataRequired(_l("请填写统一社会信用代码")), Length(max=18, min=18, message=_l("统一社会信用代码应为18位"))])
    address = StringField(_l("地址"), validators=[Optional(), Length(max=300)])
    contact = StringField(_l("联系人及电话"), validators=[Optional(), Length(max=200)])


class ProductModelForm(FlaskForm):
    model = StringField(_l("产品型号"), validators=[DataRequired(_l("请填写产品型号")), Length(max=100)])
    category = StringField(_l("产品类别"), validators=[DataRequired(_l("请填写产品类别")), Length(max=100)])


class AdmitForm(FlaskForm):
    alliance = SelectField(_l("联盟"), validators=[DataRequired(_l("请选择联盟"))])


class ExpelForm(FlaskForm):
    reason = TextAreaField(_l("清退理由"), validators=[DataRequired(_l("清退必须写明理由")), Length(max=2000)])
