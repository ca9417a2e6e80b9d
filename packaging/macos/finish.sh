#!/usr/bin/env bash
# macOS after PyInstaller: the signing/notarization hook and a disk image. NOT TESTED HERE (the
# project's machines run Linux); see packaging/README.md for what to check on a Mac.
#
#   finish.sh dist/batchgui.app VERSION
# Environment:
#   BATCHGUI_CODESIGN_IDENTITY  "Developer ID Application: Name (TEAMID)". PyInstaller already signed
#                               the bundle's binaries with it (batchgui.spec); this re-signs the
#                               bundle as a whole with the hardened runtime and verifies it.
#   BATCHGUI_NOTARY_PROFILE     keychain profile made with `xcrun notarytool store-credentials`;
#                               when set, the .dmg is notarized and the ticket stapled.
set -euo pipefail
app=$1
version=$2
here=$(cd "$(dirname "$0")" && pwd)
dist=$(dirname "$app")
identity=${BATCHGUI_CODESIGN_IDENTITY:-}
if [ -n "$identity" ]; then
  codesign --force --deep --options runtime --timestamp \
    --entitlements "${BATCHGUI_ENTITLEMENTS:-$here/entitlements.plist}" --sign "$identity" "$app"
  codesign --verify --strict --verbose=2 "$app"
else
  echo "finish.sh: BATCHGUI_CODESIGN_IDENTITY not set: the app is unsigned (Gatekeeper will warn)"
fi
dmg=$dist/batchgui-$version-macos-$(uname -m).dmg
rm -f "$dmg"
hdiutil create -volname "batchgui $version" -srcfolder "$app" -ov -format UDZO "$dmg"
if [ -n "$identity" ]; then
  codesign --sign "$identity" --timestamp "$dmg"
fi
if [ -n "${BATCHGUI_NOTARY_PROFILE:-}" ]; then
  xcrun notarytool submit "$dmg" --keychain-profile "$BATCHGUI_NOTARY_PROFILE" --wait
  xcrun stapler staple "$dmg"
fi
echo "finish.sh: wrote $dmg"
