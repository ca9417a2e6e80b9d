#!/usr/bin/env bash
# Install this batchgui folder for the current user (or under --prefix), with a menu entry.
#
#   ./install.sh                 copy to ~/.local/lib/batchgui, link ~/.local/bin/batchgui,
#                                add the menu entry, icons and AppStream metadata under ~/.local/share
#   ./install.sh --prefix /opt   same layout under /opt (lib/batchgui, bin, share); may need sudo
#   ./install.sh --uninstall     remove what an install put there (same --prefix)
set -euo pipefail
APP_ID=io.github.batchgui.BatchGui
HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX=$HOME/.local
action=install
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) PREFIX=$2; shift 2 ;;
    --prefix=*) PREFIX=${1#*=}; shift ;;
    --uninstall) action=uninstall; shift ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done
LIB=$PREFIX/lib/batchgui
BIN=$PREFIX/bin
SHARE=$PREFIX/share

refresh_caches() {
  command -v update-desktop-database >/dev/null && update-desktop-database -q "$SHARE/applications" || true
  command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$SHARE/icons/hicolor" || true
}

if [ "$action" = uninstall ]; then
  rm -rf "$LIB"
  rm -f "$BIN/batchgui" "$SHARE/applications/$APP_ID.desktop" "$SHARE/metainfo/$APP_ID.metainfo.xml"
  find "$SHARE/icons/hicolor" -name "$APP_ID.*" -delete 2>/dev/null || true
  refresh_caches
  echo "batchgui removed from $PREFIX"
  exit 0
fi

[ -x "$HERE/batchgui" ] || { echo "install.sh: run me from the built batchgui folder" >&2; exit 1; }
mkdir -p "$LIB" "$BIN" "$SHARE/applications" "$SHARE/metainfo" "$SHARE/icons"
if [ "$HERE" != "$LIB" ]; then
  rm -rf "$LIB"
  cp -a "$HERE" "$LIB"
fi
ln -sfn "$LIB/batchgui" "$BIN/batchgui"
# The menu entry runs the installed program by its full path, so ~/.local/bin need not be on PATH.
sed "s|^Exec=batchgui|Exec=$LIB/batchgui|" "$HERE/share/applications/$APP_ID.desktop" \
  >"$SHARE/applications/$APP_ID.desktop"
cp "$HERE/share/metainfo/$APP_ID.metainfo.xml" "$SHARE/metainfo/"
cp -r "$HERE/share/icons/hicolor" "$SHARE/icons/"
refresh_caches
echo "batchgui installed: $BIN/batchgui, menu entry $SHARE/applications/$APP_ID.desktop"
