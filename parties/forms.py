"""Forms of the parties' pages."""
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from infra.schemas import REASON_LENGTH, column_length
from parties.models import Alliance, Firm, ProductModel


class AllianceForm(FlaskForm):
    code = StringField("联盟代码", validators=[DataRequired("请填写联盟代码"), Length(max=column_length(Alliance.code))])
    name = StringField("联盟名称", validators=[DataRequired("请填写联盟名称"), Length(max=column_length(Alliance.name))])
    secretariat = StringField("秘书处", validators=[Optional(), Length(max=column_length(Alliance.secretariat))])


class FirmForm(FlaskForm):
    name = StringField("企业名称", validators=[DataRequired("请填写企业名称"), Length(max=column_length(Firm.name))])
    uscc = StringField("统一社会信用代码", validators=[DataRequired("请填写统一社会信用代码"), Length(max=column_length(Firm.uscc), min=18, message="统一社会信用代码应为18位")])
    address = StringField("地址", validators=[Optional(), Length(max=column_length(Firm.address))])
    contact = StringField("联系人及电话", validators=[Optional(), Length(max=column_length(Firm.contact))])


class ProductModelForm(FlaskForm):
    model = StringField("产品型号", validators=[DataRequired("请填写产品型号"), Length(max=column_length(ProductModel.model))])
    category = StringField("产品类别", validators=[DataRequired("请填写产品类别"), Length(max=column_length(ProductModel.category))])


class AdmitForm(FlaskForm):
    alliance = SelectField("联盟", validators=[DataRequired("请选择联盟")])


class ExpelForm(FlaskForm):
    reason = TextAreaField("清退理由", validators=[DataRequired("清退必须写明理由"), Length(max=REASON_LENGTH)])
