"""Forms of the standards pages: upload a standard file, publish a draft."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import DateField, TextAreaField
from wtforms.validators import Optional


class StandardUploadForm(FlaskForm):
    file = FileField(_l("标准文件（YAML）"), validators=[FileAllowed(["yaml", "yml"], _l("只接受 .yaml 或 .yml 文件"))])
    text = TextAreaField(_l("或粘贴 YAML 文本"), validators=[Optional()])


class PublishForm(FlaskForm):
    transition_end = DateField(_l("旧版本过渡期结束日期"), validators=[Optional()],
                               description=_l("在此日期之前，按旧版本通过的检验仍然有效（X8）"))
