import os

from django.core.wsgi import get_wsgi_application
from django.db.backends.signals import connection_created
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rmdesk.settings")
application = get_wsgi_application()

# The web application's database sessions carry a statement timeout below gunicorn's
# request timeout (core/admission.py); commands and job workers do not import this module.
from rmdesk.core.admission import statement_timeout_apply  # noqa: E402

connection_created.connect(statement_timeout_apply, dispatch_uid="rmdesk-statement-timeout")

# Import the URL patterns, and the views and API they mount, now rather than on the first
# request: gunicorn loads this module in its master (preload_app), so every worker, a
# recycled one too, starts with them, instead of its first requests waiting seconds.
URL_PATTERNS = len(get_resolver().url_patterns)
