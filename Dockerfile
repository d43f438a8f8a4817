# syntax=docker/dockerfile:1
#
# invoice-lake: the streaming daemon (`invoice-lake run`) as a container image.
#
#   docker build -t invoice-lake .
#   docker run --rm -e DATABASE_URL=postgres://... -e LAKE=s3://bucket/lake invoice-lake
#   docker run --rm invoice-lake setup      # any other command: the arguments replace CMD
#
# Everything is configured by environment variables (README "Settings"); the
# defaults below only move the writable paths out of the read-only /app.
# TypeScript runs through tsx at run time (a production dependency), so there
# is no compile step: the build stage only installs production dependencies.

ARG NODE_IMAGE=node:24-bookworm-slim

# ---------------------------------------------------------------------------
# deps: production node_modules only.
# ---------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
# .npmrc carries onnxruntime-node-install=skip: the CPU binaries ship inside the
# npm package, the install script would only download optional GPU builds.
# onnxruntime-node ships every platform's binaries (~220 MB for darwin and
# win32): keep Linux only, for whichever architecture this image is built for.
COPY package.json package-lock.json .npmrc ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/onnxruntime-node/bin/napi-v*/darwin node_modules/onnxruntime-node/bin/napi-v*/win32

# ---------------------------------------------------------------------------
# runtime
# ---------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime

LABEL org.opencontainers.image.title="invoice-lake" \
      org.opencontainers.image.description="Stream PostgreSQL invoices through an in-process risk model into an Apache Iceberg v2 lake" \
      org.opencontainers.image.licenses="Apache-2.0"

# tini: PID 1 that forwards SIGTERM to node and reaps zombies (the daemon itself
# handles SIGTERM/SIGINT: it finishes the open transaction, commits, acknowledges
# the slot and exits 0). ca-certificates: DuckDB's httpfs uses the system CA
# bundle for https:// and s3:// (Node.js has its own, DuckDB does not).
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini ca-certificates \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
ENV NODE_ENV=production

# Application files stay owned by root: the process (user "node", uid 1000)
# can read but not modify its code, models or jobs.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json .npmrc ./
COPY bin ./bin
COPY src ./src
COPY models ./models
COPY jobs ./jobs
COPY sources.yaml ./sources.yaml
COPY data ./data

# Writable state: a local lake when LAKE is a directory (mount a volume on
# /var/lib/invoice-lake to keep it), the read-through cache of an s3:// lake's
# data files (LAKE_CACHE_DIR; disposable). DuckDB's extensions are in ~/.duckdb.
RUN mkdir -p /var/lib/invoice-lake/lake /var/cache/invoice-lake \
 && chown -R node:node /var/lib/invoice-lake /var/cache/invoice-lake

USER node

# Preinstall DuckDB's httpfs extension (s3:// and https:// reads) for the DuckDB
# version in node_modules, into ~/.duckdb/extensions of the runtime user, so the
# container never downloads an extension at run time (it may have no Internet).
RUN node --input-type=module <<'EOF'
import { DuckDBInstance } from '@duckdb/node-api';
const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
await connection.run('INSTALL httpfs');
await connection.run('LOAD httpfs');
const reader = await connection.runAndReadAll(
  "SELECT extension_version, install_path FROM duckdb_extensions() WHERE extension_name = 'httpfs' AND installed AND loaded",
);
const rows = reader.getRowObjects();
if (rows.length !== 1) throw new Error('httpfs is not installed');
console.log(`duckdb httpfs ${rows[0].extension_version} at ${rows[0].install_path}`);
connection.closeSync();
instance.closeSync();
EOF

# Defaults; every one can be overridden with -e / the orchestrator's environment.
# DATABASE_URL has no default on purpose: without it `run` stops with a clear
# configuration error (exit 2) instead of starting the embedded demo database.
ENV HTTP_PORT=9464 \
    LOG_LEVEL=info \
    LAKE=/var/lib/invoice-lake/lake \
    LAKE_CACHE_DIR=/var/cache/invoice-lake \
    MODELS_DIR=/app/models \
    JOBS_DIR=/app/jobs

EXPOSE 9464

# GET /healthz answers 200 while streaming, 503 while starting, reconnecting or
# stopping. Slim images have no curl: Node's fetch does the probe. With
# HTTP_PORT=0 (endpoints off) the check cannot pass: disable it then.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.HTTP_PORT || '9464') + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# Exec form: tini is PID 1, node its only child, so `docker stop` (SIGTERM) reaches
# the daemon directly. Give it time to commit: `docker stop -t 60`, compose
# stop_grace_period, ECS stopTimeout.
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/bin/invoice-lake.js"]
CMD ["run"]
