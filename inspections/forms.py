from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional


class StationForm(FlaskForm):
    code = StringField("检测站代码", validators=[DataRequired("请填写检测站代码"), Length(max=32)])
    name = StringField("检测站名称", validators=[DataRequired("请填写检测站名称"), Length(max=200)])
    accreditation = StringField("资质（CNAS/CMA 编号）", validators=[Optional(), Length(max=100)])
    scope = SelectMultipleField("可检测的标准", validators=[Optional()])
