# Sourced by the scripts that need root (demo.sh, test.sh): as root, nothing happens; otherwise
# the script runs again through sudo when sudo is installed, or stops saying how to run it.
# (A minimal Debian has no sudo: root runs the scripts directly.)
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    exec sudo -- bash "$PWD/scripts/$(basename "$0")" "$@"  # (the script has changed to the repository)
  fi
  echo "$(basename "$0"): needs root, and sudo is not installed: run it as root (su -c 'bash scripts/$(basename "$0")')" >&2
  exit 1
fi
