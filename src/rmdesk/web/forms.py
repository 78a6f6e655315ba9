from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class SignInForm(AuthenticationForm):
    error_messages = {
        # One message for an unknown user and a wrong password: no user enumeration.
        "invalid_login": _("Wrong username or password."),
        "inactive": _("Wrong username or password."),
    }
