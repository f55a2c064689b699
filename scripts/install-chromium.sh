#!/usr/bin/env bash
# Headless Chromium for tests/test_events_on_local_stack.py: Debian's chromium and its driver,
# installed when missing (as root, with apt; CI and the development machines are Debian).
set -euo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "install Chromium and its driver (Debian: apt-get install chromium chromium-driver)" >&2
  exit 1
fi
echo "installing chromium and chromium-driver (apt) ..." >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
