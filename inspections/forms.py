"""Forms of the station and inspection pages: sampling record, results CSV, actions with a reason."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms.fields.choices import SelectChoice
from wtforms import DateField, HiddenField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class StationForm(FlaskForm):
    code = StringField("检测站代码", validators=[DataRequired("请填写检测站代码"), Length(max=32)])
    name = StringField("检测站名称", validators=[DataRequired("请填写检测站名称"), Length(max=200)])
    accreditation = StringField("资质（CNAS/CMA 编号）", validators=[Optional(), Length(max=100)])
    scope = SelectMultipleField("可检测的标准", validators=[Optional()])


class InspectionForm(FlaskForm):
    """The sampling record (抽样单) that opens an inspection."""

    type = SelectField("检验类型", choices=[SelectChoice(v, label) for v, label in (
        ("type", "型式检验"), ("surveillance", "监督抽查"), ("market", "市场抽样"), ("factory", "出厂检验"))])
    product = SelectField("受检产品（企业 — 型号）", validators=[Optional()])
    # SPEC §10: a product of a firm not offered above (market sampling) is named by its USCC.
    other_uscc = StringField("其他企业的统一社会信用代码（市场抽样）", validators=[Optional(), Length(max=18)])
    other_model = StringField("其他企业的产品型号", validators=[Optional(), Length(max=100)])
    standard_code = SelectField("检验依据标准", validators=[Optional()])
    standard_version = StringField("标准版本（留空用现行版本）", validators=[Optional(), Length(max=32)])
    station_code = SelectField("检测站", validators=[DataRequired("请选择检测站")])
    sampled_on = DateField("抽样日期", validators=[DataRequired("请填写抽样日期（YYYY-MM-DD）")])
    place = SelectField("抽样地点", choices=[SelectChoice("factory", "工厂"), SelectChoice("market", "市场")])
    lot_no = StringField("批号", validators=[Optional(), Length(max=64)])
    lot_size = IntegerField("批量", validators=[Optional(), NumberRange(min=2, max=2**31 - 1, message="批量应为 2 到 2147483647")])
    seal_no = StringField("封样编号", validators=[Optional(), Length(max=64)])
    samplers = StringField("抽样人员", validators=[Optional(), Length(max=200)])
    retest_of = HiddenField()


class ReasonForm(FlaskForm):
    reason = TextAreaField("理由", validators=[DataRequired("请填写理由"), Length(max=2000)])


class CsvForm(FlaskForm):
    file = FileField("CSV 文件", validators=[FileRequired("请选择 CSV 文件")])


class ActionForm(FlaskForm):
    """An empty form: only its CSRF token, for the submit and verify buttons."""
