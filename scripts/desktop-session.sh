#!/usr/bin/env bash
# Runs a command in a desktop session: a D-Bus session bus with an unlocked
# gnome-keyring (the Secret Service that holds API keys) and an X display.
#
#   scripts/desktop-session.sh --isolated CMD...   always a fresh, private bus,
#                                                  keyring and Xvfb display (tests)
#   scripts/desktop-session.sh CMD...              reuse the user's own bus and display
#                                                  when there are any (make run)
set -euo pipefail

isolated=0
if [ "${1:-}" = "--isolated" ]; then
  isolated=1
  shift
fi

if [ -z "${PAYDESK_SESSION_READY:-}" ]; then
  need_bus=$isolated
  need_display=$isolated
  [ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] || need_bus=1
  [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] || need_display=1
  export PAYDESK_SESSION_READY=1
  if [ "$need_bus" = 1 ]; then
    if [ "$isolated" = 0 ]; then
      # No desktop session: keep Paydesk's data where it always is, but the
      # keyring below is a throwaway one, so say what that means.
      export PAYDESK_DATA_DIR="${PAYDESK_DATA_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/uk.paydesk.app}"
      echo "paydesk: no desktop session found; using a private keyring that lasts until Paydesk closes." >&2
      echo "paydesk: API keys added now will need entering again next time (run Paydesk from a desktop to keep them)." >&2
    fi
    # A scratch home for the keyring files and the bus's runtime folder.
    scratch=$(mktemp -d "${TMPDIR:-/tmp}/paydesk-session.XXXXXX")
    mkdir -p "$scratch/data" "$scratch/runtime"
    chmod 700 "$scratch/runtime"
    export XDG_DATA_HOME="$scratch/data" XDG_RUNTIME_DIR="$scratch/runtime"
    export PAYDESK_START_KEYRING=1
    unset DBUS_SESSION_BUS_ADDRESS
    if [ "$need_display" = 1 ]; then
      exec dbus-run-session -- xvfb-run -a -s "-screen 0 1920x1080x24" "$0" "$@"
    fi
    exec dbus-run-session -- "$0" "$@"
  fi
  if [ "$need_display" = 1 ]; then
    exec xvfb-run -a -s "-screen 0 1920x1080x24" "$0" "$@"
  fi
fi

if [ -n "${PAYDESK_START_KEYRING:-}" ]; then
  unset PAYDESK_START_KEYRING
  # A new login keyring, created and unlocked with a throwaway password.
  eval "$(printf 'paydesk-session' | gnome-keyring-daemon --unlock --components=secrets)"
  export GNOME_KEYRING_CONTROL
  # The daemon answers before its Secret Service is on the bus: wait for it
  # (at most 5 s), so the first keyring call of a test run finds it.
  for _ in $(seq 50); do
    if dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null \
        | grep -q 'boolean true'; then
      break
    fi
    sleep 0.1
  done
fi

exec "$@"
