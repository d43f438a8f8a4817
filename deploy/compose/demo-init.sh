#!/bin/sh
# One-shot initialisation of the docker-compose demo (service `init`), run with
# the same image and settings as the daemon.
#
# 1. `invoice-lake setup`: checks the source, then creates what is missing
#    (publication, replication slot, Iceberg catalog tables, lake tables).
#    Idempotent. The tables customers and invoices already exist: the postgres
#    service created them from deploy/postgres/initdb on its first start.
# 2. `invoice-lake populate`, only when step 1 created the slot, i.e. on the
#    first `docker compose up`: the rows are loaded after the slot exists, so
#    they all stream through it into the lake once the daemon starts. Later
#    runs load nothing; `docker compose down -v` starts over.
set -eu

invoice_lake() {
  node "${INVOICE_LAKE_BIN:-/app/bin/invoice-lake.js}" "$@"
}

setup_output=$(invoice_lake setup)
printf '%s\n' "$setup_output"

if printf '%s\n' "$setup_output" | grep -q '^replication slot .* (pgoutput): created$'; then
  invoice_lake populate \
    --customers "${DEMO_CUSTOMERS:-2000}" \
    --invoices "${DEMO_INVOICES:-200000}" \
    --months "${DEMO_MONTHS:-12}"
else
  echo "demo data: the replication slot already existed, nothing loaded"
fi
