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
    # Should the keyring daemon go away under the tests' load, the bus would
    # start Debian's in its place: locked, asking for a password nobody can
    # type, and every keyring call would fail from then on. This bus starts
    # ours instead, unlocked with the session's password (the keyring's file
    # and what is in it are still there).
    mkdir -p "$scratch/services"
    printf '#!/bin/sh\nprintf paydesk-session | exec gnome-keyring-daemon --replace --foreground --unlock --components=secrets\n' >"$scratch/keyring.sh"
    chmod +x "$scratch/keyring.sh"
    for name in org.freedesktop.secrets org.gnome.keyring; do
      printf '[D-BUS Service]\nName=%s\nExec=%s\n' "$name" "$scratch/keyring.sh" >"$scratch/services/$name.service"
    done
    printf '<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"\n "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">\n<busconfig>\n  <servicedir>%s</servicedir>\n  <include>/usr/share/dbus-1/session.conf</include>\n</busconfig>\n' "$scratch/services" >"$scratch/bus.conf"
    if [ "$need_display" = 1 ]; then
      exec dbus-run-session --config-file="$scratch/bus.conf" -- xvfb-run -a -s "-screen 0 1920x1080x24" "$0" "$@"
    fi
    exec dbus-run-session --config-file="$scratch/bus.conf" -- "$0" "$@"
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
  secrets_pid() {
    dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
      org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets 2>/dev/null \
      | awk '/uint32/ {print $2}' || true
  }
  for _ in $(seq 50); do
    [ -n "$(secrets_pid)" ] && break
    sleep 0.1
  done
fi

exec "$@"
