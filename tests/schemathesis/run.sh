#!/usr/bin/env bash
# Run the Schemathesis test (crates/pmhc-cli/tests/schemathesis.rs) locally: make the venv under
# target/ from requirements.txt when it is missing, then run the test with PMHC_SCHEMATHESIS set.
# Set PMHC_TEST_POSTGRES to test PostgreSQL too; PMHC_SCHEMATHESIS_{EXAMPLES,SEED,ARGS} tune it.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=target/schemathesis-venv
if [ ! -x "$VENV/bin/st" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r tests/schemathesis/requirements.txt
fi
export PMHC_SCHEMATHESIS="$PWD/$VENV/bin/st"
exec cargo test -p pmhc-cli --test schemathesis -- --nocapture "$@"
