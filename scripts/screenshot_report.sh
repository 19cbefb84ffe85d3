#!/usr/bin/env bash
# Render a `cables report` page with headless Chromium (the reference renderer) to a PNG.
#
# Usage: scripts/screenshot_report.sh report.html out.png [WIDTH,HEIGHT]
#
# The window is 1280x4000 unless WIDTH,HEIGHT is given; the page needs no network (it is
# self-contained), so the screenshot shows exactly what a reader sees offline.
# Needs `chromium` (or `chromium-browser`) on PATH: apt-get install -y chromium.
set -euo pipefail

if [[ $# -lt 2 || $# -gt 3 ]]; then
    sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
fi
html="$1"
png="$2"
size="${3:-1280,4000}"
if [[ ! -f "$html" ]]; then
    echo "no such file: $html" >&2
    exit 2
fi
browser="$(command -v chromium || command -v chromium-browser || true)"
if [[ -z "$browser" ]]; then
    echo "chromium not found on PATH (apt-get install -y chromium)" >&2
    exit 1
fi
html_abs="$(cd "$(dirname "$html")" && pwd)/$(basename "$html")"
png_dir="$(cd "$(dirname "$png")" && pwd)"
png_abs="$png_dir/$(basename "$png")"
rm -f "$png_abs"  # a stale file must not pass for a new screenshot
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT

"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --user-data-dir="$profile" --no-first-run --no-default-browser-check \
    --screenshot="$png_abs" --window-size="$size" \
    "file://$html_abs" >/dev/null 2>&1 || true
if [[ ! -s "$png_abs" ]]; then
    echo "chromium wrote no screenshot to $png_abs" >&2
    exit 1
fi
echo "$png_abs"
