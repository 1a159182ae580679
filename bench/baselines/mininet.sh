#!/usr/bin/env bash
# Baseline: Mininet starting and stopping N hosts on one Linux bridge (no controller).
set -euo pipefail
n=$1
mn --topo "single,$n" --switch lxbr --controller none --test none >/dev/null 2>&1
# no `mn -c`: its cleanup kills every ping and controller process on the machine, sandbox or not
