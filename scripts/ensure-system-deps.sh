#!/usr/bin/env bash
# Installs the Debian packages Paydesk needs to build, run and test, if any are missing.
# As root it uses apt-get; otherwise sudo (without a password prompt when there is no
# terminal); if neither is possible it says exactly what to install and stops.
set -euo pipefail

PACKAGES=(
  # build
  build-essential pkg-config libwebkit2gtk-4.1-dev libdbus-1-dev
  # run and test without a desktop: a virtual display, WebDriver for WebKitGTK,
  # a private D-Bus session with gnome-keyring for the Secret Service
  webkit2gtk-driver xvfb xauth dbus dbus-x11 gnome-keyring keyutils
  # fonts for a readable window, imagemagick for screenshots of it
  fonts-dejavu-core fonts-liberation2 imagemagick
  # the team database: the tests start their own PostgreSQL server (with
  # pg_trgm, which Debian ships in this package) from initdb and pg_ctl
  postgresql-15
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} > 0)); then
  echo "paydesk: installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
  elif command -v sudo >/dev/null 2>&1 && { [ -t 0 ] || sudo -n true 2>/dev/null; }; then
    SUDO=(sudo)
  else
    echo "paydesk: these Debian packages are missing and I cannot install them (not root, no sudo):" >&2
    echo "    apt-get install -y --no-install-recommends ${missing[*]}" >&2
    echo "paydesk: run that as root, then run make again." >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # The tests make their own clusters: no system-wide "main" cluster is wanted.
  if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
    "${SUDO[@]}" mkdir -p /etc/postgresql-common
    echo "create_main_cluster = false" | "${SUDO[@]}" tee /etc/postgresql-common/createcluster.conf >/dev/null
  fi
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"
fi

# Node.js 20.19+ builds the UI (Vite 8). Debian 12's own nodejs is too old, so it is
# not installed from here: say so clearly instead.
if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
  echo "paydesk: Node.js 20.19 or newer (with npm) is needed to build the UI; install it and run make again." >&2
  exit 1
fi
node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a<20||(a===20&&b<19)) { console.error(`paydesk: Node.js ${process.versions.node} is too old: 20.19 or newer is needed`); process.exit(1) }'
