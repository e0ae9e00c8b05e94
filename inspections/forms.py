"""Forms of the station and inspection pages: sampling record, results CSV, actions with a reason."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms.fields.choices import SelectChoice
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from infra import clock

from compliance.models import StandardVersion
from infra.schemas import REASON_LENGTH, column_length
from inspections.models import Inspection, Station
from inspections.services import MAX_LOT_SIZE
from parties.models import Firm, ProductModel


class StationForm(FlaskForm):
    code = StringField(_l("检测站代码"), validators=[DataRequired(_l("请填写检测站代码")), Length(max=column_length(Station.code))])
    name = StringField(_l("检测站名称"), validators=[DataRequired(_l("请填写检测站名称")), Length(max=column_length(Station.name))])
    accreditation = StringField(_l("资质（CNAS/CMA 编号）"), validators=[Optional(), Length(max=column_length(Station.accreditation))])
    scope = SelectMultipleField(_l("可检测的标准"), validators=[Optional()])


class SamplingForm(FlaskForm):
    """The sampling record (抽样单): opened with the inspection, corrected while it is a draft."""

    sampled_on = DateField(_l("抽样日期"), validators=[DataRequired(_l("请填写抽样日期（YYYY-MM-DD）"))])
    place = SelectField(_l("抽样地点"), choices=[SelectChoice("factory", _l("工厂")), SelectChoice("market", _l("市场"))])
    lot_no = StringField(_l("批号"), validators=[Optional(), Length(max=column_length(Inspection.lot_no))])
    lot_size = IntegerField(_l("批量"), validators=[
        DataRequired(_l("请填写批量（至少为 2）")),
        NumberRange(min=2, max=MAX_LOT_SIZE, message=_l("批量应为 2 到 %(max)s", max=MAX_LOT_SIZE))])
    seal_no = StringField(_l("封样编号"), validators=[Optional(), Length(max=column_length(Inspection.seal_no))])
    samplers = StringField(_l("抽样人员"), validators=[Optional(), Length(max=column_length(Inspection.samplers))])

    def validate_sampled_on(self, field):
        # Said on the form together with the other problems; the service refuses it too (SPEC §6).
        today = clock.today()
        if field.data and field.data > today:
            raise ValidationError(_l("抽样日期不能晚于今天（%(today)s）", today=today.isoformat()))


class InspectionForm(SamplingForm):
    """The sampling record that opens an inspection, with what is inspected and where."""

    type = SelectField(_l("检验类型"), choices=[SelectChoice(v, label) for v, label in (
        ("type", _l("型式检验")), ("surveillance", _l("监督抽查")), ("market", _l("市场抽样")), ("factory", _l("出厂检验")))])
    product = SelectField(_l("受检产品（企业 — 型号）"), validators=[Optional()])
    # SPEC §10: a product of a firm not offered above (market sampling) is named by its USCC.
    other_uscc = StringField(_l("其他企业的统一社会信用代码（市场抽样）"), validators=[Optional(), Length(max=column_length(Firm.uscc))])
    other_model = StringField(_l("其他企业的产品型号"), validators=[Optional(), Length(max=column_length(ProductModel.model))])
    standard_code = SelectField(_l("检验依据标准"), validators=[Optional()])
    standard_version = StringField(_l("标准版本（留空用现行版本）"), validators=[Optional(), Length(max=column_length(StandardVersion.label))])
    station_code = SelectField(_l("检测站"), validators=[DataRequired(_l("请选择检测站"))])
    retest_of = HiddenField()


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("理由"), validators=[DataRequired(_l("请填写理由")), Length(max=REASON_LENGTH)])


class ReturnForm(ReasonForm):
    sampling = BooleanField(_l("抽样单有误，须由检测员更正抽样记录"))


class CsvForm(FlaskForm):
    file = FileField(_l("CSV 文件"), validators=[FileRequired(_l("请选择 CSV 文件"))])


class ActionForm(FlaskForm):
    """An empty form: only its CSRF token, for the submit and verify buttons."""
