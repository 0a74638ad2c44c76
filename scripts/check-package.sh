#!/usr/bin/env bash
# Installs the .deb that `make package` built on this machine, with dpkg (as
# root, as CI runs), checks what it declares and installs, then opens the
# installed app under Xvfb with the end-to-end harness: the window test adds
# a service, starts the built-in sandbox and searches it.
set -euo pipefail
cd "$(dirname "$0")/.."

deb=$(ls -1 target/release/bundle/deb/*.deb 2>/dev/null | head -n 1 || true)
if [[ -z "$deb" ]]; then
  echo "no .deb in target/release/bundle/deb: run 'make package' first" >&2
  exit 1
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "installing a package needs root: run this as root (CI does)" >&2
  exit 1
fi

echo "== $deb"
dpkg-deb -f "$deb" Package Version Architecture Depends
depends=$(dpkg-deb -f "$deb" Depends)
for needed in libwebkit2gtk-4.1 gnome-keyring; do
  grep -q "$needed" <<<"$depends" || { echo "the package does not depend on $needed" >&2; exit 1; }
done
contents=$(dpkg-deb -c "$deb")
grep -q 'usr/bin/paydesk$' <<<"$contents" || { echo "no /usr/bin/paydesk in the package" >&2; exit 1; }
grep -q 'usr/share/applications/.*\.desktop$' <<<"$contents" || { echo "no desktop entry in the package" >&2; exit 1; }
grep -q 'usr/share/icons/hicolor/.*/apps/.*\.png$' <<<"$contents" || { echo "no icon in the package" >&2; exit 1; }
grep -q 'usr/share/doc/paydesk/policy.example.toml$' <<<"$contents" || { echo "no example policy in the package" >&2; exit 1; }

# dpkg installs it; apt only fetches dependencies the machine lacks.
package=$(dpkg-deb -f "$deb" Package)
if ! dpkg -i "$deb"; then
  apt-get install -f -y --no-install-recommends
  dpkg -i "$deb"
fi
dpkg -s "$package" | grep -q '^Status: install ok installed'
desktop=$(dpkg -L "$package" | grep 'usr/share/applications/.*\.desktop$' | head -n 1)
grep -q '^Exec=paydesk' "$desktop" || { echo "the desktop entry does not start paydesk: $desktop" >&2; exit 1; }

echo "== the installed app, under Xvfb"
PAYDESK_APP_BINARY=/usr/bin/paydesk scripts/desktop-session.sh --isolated \
  cargo test -p paydesk-e2e --test app_window

echo "package check: $package installed from $deb, opened and reached its sandbox"
