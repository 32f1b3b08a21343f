import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongban.settings")
application = get_wsgi_application()

from tongban.core.startup import settle_process  # noqa: E402  (needs Django set up)

settle_process()
