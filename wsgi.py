"""The WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi run`."""

import gc

from trainer import create_app

app = create_app()
# What start-up made (modules, the app and its extensions, code tables) lives as long as the
# process: the cyclic collector is spared from tracing it again in every full collection of
# a request's garbage (about a tenth of a dialogue step's CPU; benchmarks/web.py).
gc.collect()
gc.freeze()
