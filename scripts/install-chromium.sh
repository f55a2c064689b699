#!/usr/bin/env bash
# Headless Chromium for tests/test_events_on_local_stack.py: Debian's chromium and its driver,
# installed when missing (as root, with apt; CI and the development machines are Debian).
set -euo pipefail
# One install at a time: `make test` starts one in the background, the test's fixture waits on it.
exec 9>"${TMPDIR:-/tmp}/algocloud-install-chromium.lock"
flock 9
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "install Chromium and its driver (Debian: apt-get install chromium chromium-driver)" >&2
  exit 1
fi
echo "installing chromium and chromium-driver (apt) ..." >&2
apt-get -o DPkg::Lock::Timeout=300 update -qq
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends \
  chromium chromium-driver >/dev/null
