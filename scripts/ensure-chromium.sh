#!/usr/bin/env bash
# The viewer's browser tests and screenshots drive Debian's chromium through playwright-core.
# Prints the browser's path; installs it with apt-get when missing and run as root (CI);
# otherwise fails saying what to install. Never skips.
set -euo pipefail
find_browser() {
  for candidate in "${MEMLEDGER_CHROMIUM:-}" chromium chromium-browser; do
    [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1 && { command -v "$candidate"; return 0; }
  done
  return 1
}
if path=$(find_browser); then echo "$path"; exit 0; fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "chromium is missing: installing Debian's chromium package with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq chromium >&2
  if path=$(find_browser); then echo "$path"; exit 0; fi
fi
echo "the viewer's browser tests need Chromium: run 'apt-get install chromium' as root (or set MEMLEDGER_CHROMIUM to a Chromium binary) and run again" >&2
exit 1
