# Shared by scripts/demo and scripts/test: a virtual environment with lgsp installed.
# Usage: . scripts/_env.sh EXTRAS   (EXTRAS: "" or "[dev]")

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root to run: $*" >&2; return 1; fi
}

apt_install() {
  command -v apt-get >/dev/null || { echo "please install: $*" >&2; return 1; }
  if [ -z "${LGSP_APT_UPDATED:-}" ]; then as_root apt-get update -qq; LGSP_APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

ensure_venv() {
  local extras=$1 python=${PYTHON:-python3}
  command -v "$python" >/dev/null || apt_install python3 python3-venv python3-pip
  if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv 2>/dev/null || { apt_install python3-venv && "$python" -m venv .venv; }
  fi
  .venv/bin/python -m pip install -q --upgrade pip 2>/dev/null || true
  .venv/bin/python -m pip install -q -e ".${extras}"
}
