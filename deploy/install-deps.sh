#!/usr/bin/env bash
# Installs the Debian packages smscoach builds, runs and tests with.
# Idempotent: packages already present are skipped, so a second run is quick.
set -euo pipefail

# One Boost for everyone: Beast and Asio as shipped with Debian 12's Boost 1.81.
packages=(
  g++ cmake make pkg-config ccache
  libboost1.81-dev
  nlohmann-json3-dev libspdlog-dev libfmt-dev
  libsqlite3-dev libpq-dev libcurl4-openssl-dev libssl-dev
  postgresql nginx curl openssl
  catch2 libbenchmark-dev wrk python3 git
  clang libclang-rt-14-dev
  chromium
)
# Node.js and npm run the console's browser test (tests/browser: Playwright
# driving the chromium above). Added only when missing: a machine may have
# them from elsewhere (NodeSource's nodejs bundles npm and conflicts with
# Debian's npm package).
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo_cmd=(sudo)
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
