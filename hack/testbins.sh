#!/usr/bin/env bash
# Placeholder until the integration rig lands: builds nothing.
set -euo pipefail
mkdir -p "$1"
