#!/usr/bin/env bash
# One command from a fresh Debian machine to a running server: installs what
# is missing, builds, and runs `smscoach serve` on the embedded SQLite store
# with the shipped knowledge base. Extra arguments go to `smscoach serve`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash deploy/install-deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build build/release --target smscoach -j"$(nproc)"
exec build/release/bot/smscoach serve "$@"
