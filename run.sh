#!/usr/bin/env bash
# Set up and start AllianceMark with demo data on http://127.0.0.1:5000 (embedded SQLite).
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
.venv/bin/pybabel compile -d translations >/dev/null
export FLASK_APP=app
.venv/bin/flask --app app db upgrade
.venv/bin/flask --app app seed-demo
exec .venv/bin/gunicorn --worker-class gthread --workers 2 --threads 4 --bind 127.0.0.1:5000 "app:create_app()"
