/**
 * The one configuration schema: defaults, environment names, flags, help
 * text, the README table and which values are secret all come from here.
 */
import { endpointUrl, postgresUrl, webhookUrl } from './url-settings.ts';
export interface SettingSpec<T> {
  /** Environment variable. */
  env: string;
  /** Long command-line flag without the dashes. */
  flag: string;
  description: string;
  /** Default as text; undefined = no default. */
  default?: string;
  /** A switch: `--flag` alone means true. */
  boolean?: boolean;
  /**
   * Values that may hold passwords or tokens: redacted in every log line and
   * error message (secret-values.ts collects them from this flag, so a new
   * secret setting needs no second list).
   */
  secret?: boolean;
  parse: (text: string) => T;
}

const text = (value: string): string => value;

function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    if (!/^\d+$/.test(value.trim())) throw new Error(`expected a whole number, got ${JSON.stringify(value)}`);
    const parsed = Number(value);
    if (parsed < min || parsed > max) throw new Error(`expected a number between ${min} and ${max}, got ${value}`);
    return parsed;
  };
}

function oneOf<const V extends string>(...values: V[]) {
  return (value: string): V => {
    if (!(values as string[]).includes(value)) throw new Error(`expected one of ${values.join(', ')}, got ${JSON.stringify(value)}`);
    return value as V;
  };
}

function flag(value: string): boolean {
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new Error(`expected true or false, got ${JSON.stringify(value)}`);
}

function probability(value: string): number {
  const parsed = Number(value);
  if (!/^\d*\.?\d+$/.test(value.trim()) || parsed < 0 || parsed > 1) throw new Error(`expected a number between 0 and 1, got ${JSON.stringify(value)}`);
  return parsed;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
function identifier(value: string): string {
  if (!IDENTIFIER.test(value)) throw new Error(`expected a lower-case SQL identifier (a-z, 0-9, _), got ${JSON.stringify(value)}`);
  return value;
}

function qualifiedTable(value: string): string {
  const parts = value.split('.');
  if (parts.length > 2 || !parts.every((part) => IDENTIFIER.test(part))) {
    throw new Error(`expected [schema.]table with lower-case identifiers, got ${JSON.stringify(value)}`);
  }
  return parts.length === 1 ? `public.${value}` : value;
}

export const SETTINGS = {
  databaseUrl: {
    env: 'DATABASE_URL',
    flag: 'database-url',
    description: 'Source PostgreSQL. Unset: start the embedded demo database (npm start).',
    secret: true,
    parse: postgresUrl,
  },
  catalogUrl: {
    env: 'CATALOG_URL',
    flag: 'catalog-url',
    description: 'PostgreSQL holding the Iceberg JDBC catalog tables. Default: DATABASE_URL.',
    secret: true,
    parse: postgresUrl,
  },
  lake: {
    env: 'LAKE',
    flag: 'lake',
    description: 'Lake root: a directory, file:///path or s3://bucket/prefix (credentials from the AWS default provider chain).',
    default: './lake',
    parse: text,
  },
  s3Endpoint: {
    env: 'S3_ENDPOINT',
    flag: 's3-endpoint',
    description: 'S3-compatible endpoint for an s3:// LAKE (MinIO, Ceph, R2, s3rver); unset: AWS S3 in AWS_REGION.',
    parse: endpointUrl,
  },
  s3ForcePathStyle: {
    env: 'S3_FORCE_PATH_STYLE',
    flag: 's3-force-path-style',
    description: 'Path-style S3 addressing (host/bucket/key) instead of virtual-hosted (bucket.host/key). Default: true when S3_ENDPOINT is set.',
    boolean: true,
    parse: flag,
  },
  lakeCacheDir: {
    env: 'LAKE_CACHE_DIR',
    flag: 'lake-cache-dir',
    description: 'Local read-through cache of an object-storage lake\'s data files, which DuckDB reads. Default: <tmpdir>/invoice-lake-cache.',
    parse: text,
  },
  lakeCacheMaxBytes: {
    env: 'LAKE_CACHE_MAX_BYTES',
    flag: 'lake-cache-max-bytes',
    description: 'Size bound of LAKE_CACHE_DIR; least recently used files are evicted beyond it.',
    default: String(2 * 1024 * 1024 * 1024),
    parse: integer(16 * 1024 * 1024),
  },
  catalog: {
    env: 'CATALOG',
    flag: 'catalog',
    description: 'jdbc (Iceberg JDBC catalog in PostgreSQL) or filesystem (version-hint only, no database).',
    default: 'jdbc',
    parse: oneOf('jdbc', 'filesystem'),
  },
  catalogName: {
    env: 'CATALOG_NAME',
    flag: 'catalog-name',
    description: 'catalog_name in the JDBC catalog tables; configure the same name in Trino, Spark or PyIceberg.',
    default: 'invoice_lake',
    parse: identifier,
  },
  catalogSchema: {
    env: 'CATALOG_SCHEMA',
    flag: 'catalog-schema',
    description: 'PostgreSQL schema that holds iceberg_tables and iceberg_namespace_properties.',
    default: 'invoice_lake_catalog',
    parse: identifier,
  },
  namespace: {
    env: 'LAKE_NAMESPACE',
    flag: 'namespace',
    description: 'Iceberg namespace of the lake tables.',
    default: 'lake',
    parse: identifier,
  },
  sourceTable: {
    env: 'SOURCE_TABLE',
    flag: 'source-table',
    description: 'The invoices table in the source database.',
    default: 'public.invoices',
    parse: qualifiedTable,
  },
  slotName: {
    env: 'SLOT_NAME',
    flag: 'slot',
    description: 'Logical replication slot (pgoutput).',
    default: 'invoice_lake',
    parse: identifier,
  },
  publicationName: {
    env: 'PUBLICATION_NAME',
    flag: 'publication',
    description: 'Publication that the slot streams.',
    default: 'invoice_lake',
    parse: identifier,
  },
  batchMaxRows: {
    env: 'BATCH_MAX_ROWS',
    flag: 'batch-max-rows',
    description: 'Rows buffered per table before a Parquet file is written.',
    default: '25000',
    parse: integer(1, 10_000_000),
  },
  batchMaxBytes: {
    env: 'BATCH_MAX_BYTES',
    flag: 'batch-max-bytes',
    description: 'Estimated in-memory bytes buffered before a Parquet file is written.',
    default: String(64 * 1024 * 1024),
    parse: integer(64 * 1024, 4 * 1024 * 1024 * 1024),
  },
  batchMaxDelayMs: {
    env: 'BATCH_MAX_DELAY_MS',
    flag: 'batch-max-delay-ms',
    description: 'Longest time a received change waits before its lake commit (freshness).',
    default: '500',
    parse: integer(10, 3_600_000),
  },
  modelsDir: {
    env: 'MODELS_DIR',
    flag: 'models',
    description: 'Directory of ONNX risk models, watched for new files (the active one is the last *.onnx by name; *.shadow.onnx are challengers).',
    default: './models',
    parse: text,
  },
  modelMaxBytes: {
    env: 'MODEL_MAX_BYTES',
    flag: 'model-max-bytes',
    description: 'Largest model file loaded; a bigger file in the models directory is refused before it is read (the current model stays).',
    default: String(256 * 1024 * 1024),
    parse: integer(1024, 16 * 1024 * 1024 * 1024),
  },
  jobsDir: {
    env: 'JOBS_DIR',
    flag: 'jobs',
    description: 'Directory of SQL jobs (<name>.sql) the daemon runs over the lake.',
    default: './jobs',
    parse: text,
  },
  jobsConcurrency: {
    env: 'JOBS_CONCURRENCY',
    flag: 'jobs-concurrency',
    description: 'Jobs that may run at the same time (each in its own DuckDB session, beside the stream).',
    default: '1',
    parse: integer(1, 16),
  },
  jobsMinIntervalMs: {
    env: 'JOBS_MIN_INTERVAL_MS',
    flag: 'jobs-min-interval-ms',
    description: 'Shortest time between two runs of one on-commit job; commits landing meanwhile go into the next run.',
    default: '5000',
    parse: integer(0, 86_400_000),
  },
  jobTimeoutMs: {
    env: 'JOB_TIMEOUT_MS',
    flag: 'job-timeout-ms',
    description: 'Longest a job run may take; it is then cancelled and recorded as failed ("timed out after …"). A job header "-- timeout: 30m" overrides it.',
    default: '600000',
    parse: integer(1000, 86_400_000),
  },
  jobMemoryLimitMb: {
    env: 'JOB_MEMORY_LIMIT_MB',
    flag: 'job-memory-limit-mb',
    description: 'DuckDB memory of one job run, in MB; beyond it DuckDB spills to the temp directory. A job header "-- memory: 1GB" overrides it.',
    default: '256',
    parse: integer(16, 1_048_576),
  },
  sourcesFile: {
    env: 'SOURCES_FILE',
    flag: 'sources-file',
    // No default value on purpose: the fallback file is optional, an explicitly named one must exist.
    description: 'YAML or JSON file of sources (files as views in query and jobs). Default: ./sources.yaml when it exists.',
    parse: text,
  },
  queryAllowWrites: {
    env: 'QUERY_ALLOW_WRITES',
    flag: 'allow-writes',
    description: 'Let `invoice-lake query` run any statements (COPY, CREATE, ATTACH, SET, several at once) and read any file; by default it runs one read statement over the lake and the sources.',
    default: 'false',
    boolean: true,
    parse: flag,
  },
  unscored: {
    env: 'RISK_UNSCORED',
    flag: 'unscored',
    description: 'Stream without a risk model (scores stay null) instead of refusing to start when no valid model exists.',
    default: 'false',
    boolean: true,
    parse: flag,
  },
  alertThreshold: {
    env: 'RISK_ALERT_THRESHOLD',
    flag: 'alert-threshold',
    description: 'Active-model score at or above which an alert is raised.',
    default: '0.9',
    parse: probability,
  },
  alertChannel: {
    env: 'RISK_ALERT_CHANNEL',
    flag: 'alert-channel',
    description: 'PostgreSQL NOTIFY channel for alerts (JSON payload) on the source database.',
    default: 'invoice_risk_alerts',
    parse: identifier,
  },
  alertWebhookUrl: {
    env: 'RISK_ALERT_WEBHOOK_URL',
    flag: 'alert-webhook',
    description: 'Optional URL that receives each alert as an HTTP POST (retried with backoff, Idempotency-Key header). No user:password@: use RISK_ALERT_WEBHOOK_AUTHORIZATION.',
    secret: true,
    parse: webhookUrl({ env: 'RISK_ALERT_WEBHOOK_AUTHORIZATION', flag: 'alert-webhook-authorization' }),
  },
  alertWebhookAuthorization: {
    env: 'RISK_ALERT_WEBHOOK_AUTHORIZATION',
    flag: 'alert-webhook-authorization',
    description: 'Authorization header sent with each webhook POST, e.g. "Bearer <token>" or "Basic <base64 of user:password>".',
    secret: true,
    parse: text,
  },
  httpPort: {
    env: 'HTTP_PORT',
    flag: 'http-port',
    description: 'Port of the daemon\'s /healthz and /metrics endpoints; 0 turns them off.',
    default: '9464',
    parse: integer(0, 65_535),
  },
  logLevel: {
    env: 'LOG_LEVEL',
    flag: 'log-level',
    description: 'Log level: fatal, error, warn, info, debug.',
    default: 'info',
    parse: oneOf('fatal', 'error', 'warn', 'info', 'debug'),
  },
} as const satisfies Record<string, SettingSpec<unknown>>;

export type SettingName = keyof typeof SETTINGS;
export type Settings = { [K in SettingName]: ReturnType<(typeof SETTINGS)[K]['parse']> | undefined };
