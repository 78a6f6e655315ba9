import os

from django.core.wsgi import get_wsgi_application
from django.db.backends.signals import connection_created

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rmdesk.settings")
application = get_wsgi_application()

# The web application's database sessions carry a statement timeout below gunicorn's
# request timeout (core/admission.py); commands and job workers do not import this module.
from rmdesk.core.admission import statement_timeout_apply  # noqa: E402

connection_created.connect(statement_timeout_apply, dispatch_uid="rmdesk-statement-timeout")
