#!/usr/bin/env bash
# Takes a screenshot of the standalone app's editor under a virtual X display.
# Usage: scripts/screenshot.sh [OUT.png]   (default docs/editor.png)
# Needs Debian's xvfb and imagemagick (for `import`); builds the app if needed.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-docs/editor.png}"
for tool in Xvfb import; do
    command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install xvfb imagemagick)" >&2; exit 1; }
done
cargo build -p neural-wavetable --bin neural-wavetable
display=":$((90 + RANDOM % 100))"
Xvfb "$display" -screen 0 1920x1080x24 >/dev/null 2>&1 &
xvfb_pid=$!
trap 'kill $xvfb_pid 2>/dev/null || true' EXIT
sleep 1
DISPLAY="$display" target/debug/neural-wavetable --backend dummy --run-for 8 --preset "${NWT_SCREENSHOT_PRESET:-Glacier Choir}" >/dev/null 2>&1 &
app_pid=$!
sleep 5
mkdir -p "$(dirname "$out")"
DISPLAY="$display" import -window root -crop 1200x900+0+0 "$out"
wait "$app_pid" || true
echo "wrote $out"
