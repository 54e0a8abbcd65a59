import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from billing_console.request_deadline import RequestDeadline

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "billing_console.settings")
application = get_wsgi_application()

settings.SECRET_KEY  # noqa: B018 -- fail at start, not at the first request, without a key

from usage.ingest_front import IngestFront  # noqa: E402 -- needs the application's settings

application = RequestDeadline(IngestFront(application), settings.WEB_REQUEST_TIMEOUT)
