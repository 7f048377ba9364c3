#!/usr/bin/env bash
# Placeholder main job until the local federation command exists: builds the project.
set -euo pipefail
. "$(dirname "$0")/common.sh"
vnsnap_ensure_built certs
vnsnap_log "built; the local-federation demo comes with the certs CLI"
