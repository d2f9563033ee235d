"""gunicorn settings for the portal's web processes (``gunicorn -c deploy/gunicorn.conf.py``).

Each value can be overridden by the environment, so one file serves every machine; the systemd
unit and tests/test_stack.py start the web processes with it.
"""

import multiprocessing
import os

wsgi_app = "governance.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Django views are synchronous and mostly wait on PostgreSQL: 2 × cores + 1 processes.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 1))
# A request that takes longer is killed and logged; exports run in Celery, not in a request.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 30
keepalive = 5
# Recycle processes now and then so that a slow leak never grows without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 2000))
max_requests_jitter = 200
# Import the project once in the master; workers fork from it (faster start, shared pages).
preload_app = True
# Only nginx on the same machine may say which scheme the client used.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = "grid-portal"
