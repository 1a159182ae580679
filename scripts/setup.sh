#!/usr/bin/env bash
# Set up topo on a fresh Debian machine (run as root): Debian packages, a virtual environment in
# .venv with topo installed (editable) and pinned deps. Idempotent: a second run installs nothing new.
#   bash scripts/setup.sh            everything topo and its test suite and benchmarks need
#   bash scripts/setup.sh --demo     only what topo itself (and scripts/demo.sh) needs: no browser,
#                                    mininet, sshd, npm tools, no test or Ansible Python packages
#   ... --list                       print the Debian packages it would check, install nothing
set -euo pipefail
cd "$(dirname "$0")/.."
demo=0 list=0
for arg in "$@"; do
  case $arg in
    --demo) demo=1 ;;
    --list) list=1 ;;
    *) echo "setup: unknown option $arg (--demo, --list)" >&2; exit 2 ;;
  esac
done

# what topo itself runs: ip, ping, the demo's curl, nft + its Python binding (Services),
# dnsmasq (cluster DNS), tcpdump (topo capture)
DEBS=(iproute2 iputils-ping procps util-linux curl python3-venv nftables python3-nftables dnsmasq-base tcpdump)
if [ "$demo" = 0 ]; then
  DEBS+=(graphviz)
  if [ -f scripts/debian-packages.extra ]; then
    # shellcheck disable=SC2207
    DEBS+=($(grep -v '^#' scripts/debian-packages.extra))
  fi
fi
if [ "$list" = 1 ]; then
  printf '%s\n' "${DEBS[@]}"
  exit 0
fi
missing=()
for p in "${DEBS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # installing must not start services on this machine (openssh-server is for the test bed's
  # private sshds, never the machine's own): a temporary policy-rc.d says no to every start
  policy=/usr/sbin/policy-rc.d
  own_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy" && own_policy=1
  fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if [ "$own_policy" = 1 ]; then rm -f "$policy"; fi
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
full=.venv/.topo-installed stamp=.venv/.topo-installed extras='[test,ansible,ui]'
if [ "$demo" = 1 ]; then
  stamp=.venv/.topo-installed-demo extras=''
  # a full install serves the demo as well
  if [ -f "$full" ] && [ ! pyproject.toml -nt "$full" ]; then stamp=$full; fi
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  if ! .venv/bin/pip install -e ".$extras" >.venv/pip.log 2>&1; then
    cat .venv/pip.log >&2
    exit 1
  fi
  touch "$stamp"
fi
# the test suite's own tools (not for --demo): the dev extra and ansible-test's environments
if [ "$demo" = 0 ]; then
  # the dev extra: ansible-test's sanity requirements for the topo.lab collection and the wheel's
  # build backend, so that tests/test_collection.py runs offline
  dev_stamp=.venv/.topo-dev-installed
  if [ ! -f "$dev_stamp" ] || [ pyproject.toml -nt "$dev_stamp" ]; then
    if ! .venv/bin/pip install -e '.[dev]' >.venv/pip-dev.log 2>&1; then
      cat .venv/pip-dev.log >&2
      exit 1
    fi
    touch "$dev_stamp"
  fi
  # ansible-test sanity's own virtual environments, made now from PyPI (tests/test_collection.py
  # offline). TOPO_PRIME_IN_BACKGROUND=1 (scripts/test.sh): made beside the first tests instead
  # (a few minutes of downloads and venvs); tests/test_collection.py waits for .primed
  home=.venv/ansible-test-home
  if [ ! -f "$home/.primed" ] || [ pyproject.toml -nt "$home/.primed" ]; then
    mkdir -p "$home"
    rm -f "$home/.primed" "$home/.prime-failed"
    if [ "${TOPO_PRIME_IN_BACKGROUND:-0}" = 1 ]; then
      touch "$home/.priming"
      setsid bash -c 'if .venv/bin/python tests/ansible_sanity/prime.py >"$1/prime.log" 2>&1; then touch "$1/.primed"
                      else touch "$1/.prime-failed"; fi; rm -f "$1/.priming"' prime "$home" </dev/null >/dev/null 2>&1 &
    else
      .venv/bin/python tests/ansible_sanity/prime.py || exit 1
      touch "$home/.primed"
    fi
  fi
fi
# libnftables' Python binding (Services' nftables tables) is Debian's python3-nftables, pure
# Python over ctypes, of the libnftables the system's nft uses: the venv sees that one package
site=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
if [ -d /usr/lib/python3/dist-packages/nftables ] && [ ! -e "$site/nftables" ]; then
  ln -s /usr/lib/python3/dist-packages/nftables "$site/nftables"
fi
# the published schema compiled to Python once (provisioner/_schema_fast.py), and the package
# byte-compiled now (that checker is a large module: compiling it on a first run would cost
# what it saves)
.venv/bin/python -m provisioner.schema_build --compile
.venv/bin/python -m compileall -q provisioner >/dev/null
if [ "$demo" = 0 ] && [ -f scripts/setup-extra.sh ]; then
  bash scripts/setup-extra.sh
fi
echo "setup: ready (.venv/bin/topo)"
