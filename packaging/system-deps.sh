#!/usr/bin/env bash
# Installs the Debian libraries that PySide6's wheels load at run time, only when one is missing.
# Qt's offscreen platform still needs EGL/GL, xkbcommon, fontconfig and at least one font.
set -euo pipefail
libs=(libEGL.so.1 libGL.so.1 libxkbcommon.so.0 libfontconfig.so.1 libdbus-1.so.3 libglib-2.0.so.0
      libxcb-cursor.so.0 libxkbcommon-x11.so.0)
missing=0
for lib in "${libs[@]}"; do
  ldconfig -p 2>/dev/null | grep -q "$lib" || { echo "system-deps: $lib missing"; missing=1; }
done
fc-list 2>/dev/null | grep -q . || { echo "system-deps: no fonts"; missing=1; }
# The desktop-integration tests validate the .desktop file and AppStream metainfo with these.
for tool in appstreamcli desktop-file-validate; do
  command -v "$tool" >/dev/null || { echo "system-deps: $tool missing"; missing=1; }
done
# The sandbox runs jobs inside bubblewrap when it is installed (private /tmp, no home directory).
command -v bwrap >/dev/null || { echo "system-deps: bwrap missing"; missing=1; }
[ "$missing" = 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "system-deps: install Qt's runtime libraries (EGL, GL, xkbcommon, fontconfig, a font) and bubblewrap with your package manager" >&2
  exit 0
fi
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
  libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 libglib2.0-0 \
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-randr0 libxcb-render-util0 \
  libxcb-image0 libxcb-xkb1 fonts-dejavu-core appstream desktop-file-utils bubblewrap
