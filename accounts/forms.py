"""Forms of sign-in and of the admin's user page."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from accounts.models import User
from infra.schemas import column_length


class LoginForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(_l("请输入用户名")), Length(max=column_length(User.username))])
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请输入密码")), Length(max=200)])


ROLE_CHOICES = [SelectChoice("admin", _l("系统管理员")), SelectChoice("staff", _l("协会工作人员")),
                SelectChoice("technician", _l("检测员")), SelectChoice("reviewer", _l("审核员")),
                SelectChoice("firm", _l("企业用户"))]


class UserForm(FlaskForm):
    """Create or change a user (the admin page); the station or firm the role needs."""

    username = StringField(_l("用户名"), validators=[DataRequired(_l("请输入用户名")), Length(max=column_length(User.username))])
    display_name = StringField(_l("姓名"), validators=[Optional(), Length(max=column_length(User.display_name))])
    role = SelectField(_l("角色"), choices=ROLE_CHOICES)
    station = SelectField(_l("检测站（检测员、审核员）"), choices=[], validate_choice=False)
    firm = StringField(_l("企业统一社会信用代码（企业用户）"), validators=[Optional(), Length(max=18)])
    password = PasswordField(_l("初始密码（至少10个字符）"), validators=[Optional(), Length(max=200)])


class PasswordForm(FlaskForm):
    password = PasswordField(_l("新密码（至少10个字符）"), validators=[DataRequired(_l("请输入新密码")), Length(max=200)])
