#!/usr/bin/env bash
# Run the whole test suite (unit, integration, functional, browser e2e).
# SQLite by default; TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/alliancemark_test for PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")"
setup() {
  if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
  fi
  .venv/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
  .venv/bin/pybabel compile -d translations >/dev/null
  # The browser tests drive Debian's chromium (never a downloaded browser), with a CJK font so the
  # screenshots show Chinese rather than boxes.
  browser_packages=()
  [ -x /usr/bin/chromium ] || browser_packages+=(chromium)
  fc-list :lang=zh 2>/dev/null | grep -q . || browser_packages+=(fonts-wqy-microhei)
  if [ ${#browser_packages[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${browser_packages[@]}" >/dev/null
    else
      echo "test.sh: missing ${browser_packages[*]}; install Debian's packages (sudo apt-get install ${browser_packages[*]})" >&2
      exit 1
    fi
  fi
}
# .ci/run sets up once, then runs two passes side by side with ALLIANCEMARK_TEST_SETUP_DONE=1.
[ -n "${ALLIANCEMARK_TEST_SETUP_DONE:-}" ] || setup
exec .venv/bin/python -m pytest "$@"
