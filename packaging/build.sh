#!/usr/bin/env bash
# Build the desktop app folder with PyInstaller: dist/batchgui/ (Linux, Windows) or
# dist/batchgui.app (macOS). Called by `make package`; expects the project venv with the
# `package` extra installed (pip install -e '.[package]').
#
# Environment (all optional):
#   PYTHON                      interpreter with batchgui and PyInstaller (default: .venv/bin/python)
#   BATCHGUI_ARCHIVE=1          also write dist/batchgui-<version>-<os>-<arch>.tar.gz (Linux)
#   BATCHGUI_CODESIGN_IDENTITY  macOS: sign with this identity (see packaging/README.md)
#   BATCHGUI_NOTARY_PROFILE     macOS: notarize with this `xcrun notarytool` keychain profile
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
[ -x "$PYTHON" ] || PYTHON=$(command -v python3)
APP_ID=io.github.batchgui.BatchGui
BUILD=$ROOT/build
DIST=$ROOT/dist
export QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen}

version=$("$PYTHON" -c 'import batchgui; print(batchgui.__version__)')
echo "build.sh: batchgui $version with $("$PYTHON" -m PyInstaller --version 2>/dev/null || echo 'no PyInstaller')"

# 1. Icons from the SVG (see render_icons.py for why they are not committed).
rm -rf "$BUILD/icons"
"$PYTHON" packaging/render_icons.py "$BUILD/icons"

# 2. The app folder.
export BATCHGUI_ICON_DIR=$BUILD/icons
started=$(date +%s)
"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
  --workpath "$BUILD/pyinstaller" --distpath "$DIST" packaging/batchgui.spec
echo "build.sh: PyInstaller took $(( $(date +%s) - started )) s"

case "$(uname -s)" in
  Linux)
    # 3. Desktop integration files inside the folder, laid out like a prefix (share/...), so
    #    install.sh can copy them and `appstreamcli validate-tree dist/batchgui` checks them.
    app=$DIST/batchgui
    mkdir -p "$app/share/applications" "$app/share/metainfo" "$app/share/icons"
    cp resources/$APP_ID.desktop "$app/share/applications/"
    cp resources/$APP_ID.metainfo.xml "$app/share/metainfo/"
    cp -r "$BUILD/icons/hicolor" "$app/share/icons/"
    cp packaging/linux/install.sh "$app/install.sh"
    chmod +x "$app/install.sh"
    echo "build.sh: $app is $(du -sh "$app" | cut -f1)"
    if [ "${BATCHGUI_ARCHIVE:-0}" = 1 ]; then
      archive=$DIST/batchgui-$version-linux-$(uname -m).tar.gz
      tar -C "$DIST" -czf "$archive" batchgui
      echo "build.sh: wrote $archive ($(du -sh "$archive" | cut -f1))"
    fi
    ;;
  Darwin)
    bash packaging/macos/finish.sh "$DIST/batchgui.app" "$version"
    ;;
  MINGW*|MSYS*|CYGWIN*)
    echo "build.sh: for an installer run: iscc /DAppVersion=$version packaging\\windows\\batchgui.iss"
    ;;
esac
