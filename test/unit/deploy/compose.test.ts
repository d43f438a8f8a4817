/**
 * docker-compose.yml, the files it mounts and the Dockerfile, checked without
 * a Docker engine (none on CI): the Compose Specification schema, references
 * between services, and consistency with the program's settings.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../../../src/config/settings.ts';
import { loadSettings } from '../../../src/config/load-config.ts';
import { CUSTOMERS_DDL, INVOICES_DDL, INVOICES_INDEX_DDL } from '../../../src/source/source-schema.ts';
import {
  bindMountProblems,
  dependsOnTargets,
  environmentOf,
  healthcheckProblems,
  interpolate,
  loadCompose,
  portProblems,
  profileProblems,
  referenceProblems,
  schemaProblems,
  unknownEnvironmentProblems,
} from './compose-checks.ts';

/** Debian's docker-compose (1.29) where installed: the real parser as a second opinion, no engine needed. */
const DOCKER_COMPOSE = spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const COMPOSE_PATH = join(ROOT, 'docker-compose.yml');
const DAEMON = 'invoice-lake';

/** Variables the AWS SDK's default credential and region chain reads (not settings of ours). */
const AWS_SDK_VARIABLES = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE'];
const KNOWN_VARIABLES = new Set([...Object.values(SETTINGS).map((spec) => spec.env), ...AWS_SDK_VARIABLES]);

// Interpolated as `docker compose up` does with nothing set: every ${VAR:-default} takes its default.
const compose = loadCompose(COMPOSE_PATH, {});
const daemonEnvironment = environmentOf(compose.services[DAEMON]!);

function properties(path: string): Map<string, string> {
  const entries = readFileSync(path, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => [line.slice(0, line.indexOf('=')).trim(), line.slice(line.indexOf('=') + 1).trim()] as const);
  return new Map(entries);
}

const normalizeSql = (sql: string) => sql.replace(/\s+/g, ' ').replace(/\( /g, '(').replace(/ \)/g, ')').trim();

describe('compose interpolation', () => {
  it('follows the Compose rules for defaults, errors and $$', () => {
    expect(interpolate('${A:-x}/${B-y}/${C}/$$HOME/$D', { A: '', B: '', D: 'd' })).toBe('x//' + '/$HOME/d');
    expect(interpolate('${A:-${B:-z}}', {})).toBe('z');
    expect(() => interpolate('${SECRET:?set it}', {})).toThrow(/SECRET/);
  });
});

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification schema', () => {
    expect(schemaProblems(compose)).toEqual([]);
  });

  it('mounts only files and directories that exist in the repository', () => {
    expect(bindMountProblems(compose, ROOT)).toEqual([]);
    const mounted = Object.values(compose.services).flatMap((service) => service.volumes ?? []).filter((volume) => typeof volume === 'string' && volume.startsWith('./'));
    expect(mounted.length).toBeGreaterThanOrEqual(4);
  });

  it('depends only on services that exist and start with it; named volumes are declared', () => {
    expect(referenceProblems(compose)).toEqual([]);
  });

  it('publishes each host port once, on the loopback interface', () => {
    expect(portProblems(compose)).toEqual([]);
    for (const [name, service] of Object.entries(compose.services)) {
      for (const port of service.ports ?? []) expect(String(port), name).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
    }
  });

  it('has healthchecks for postgres, minio and the daemon', () => {
    expect(healthcheckProblems(compose, ['postgres', 'minio', DAEMON])).toEqual([]);
    const postgresCheck = compose.services.postgres!.healthcheck!.test;
    expect(JSON.stringify(postgresCheck)).toContain('pg_isready -h 127.0.0.1');
    const daemonCheck = JSON.stringify(compose.services[DAEMON]!.healthcheck!.test);
    expect(daemonCheck).toContain(`127.0.0.1:${daemonEnvironment.HTTP_PORT}/healthz`);
  });

  it('starts trino only with the trino profile, everything else by default', () => {
    expect(profileProblems(compose, { trino: ['trino'] })).toEqual([]);
    const profiled = Object.entries(compose.services).filter(([, service]) => (service.profiles ?? []).length > 0).map(([name]) => name);
    expect(profiled).toEqual(['trino']);
  });

  it('runs postgres with wal_level=logical', () => {
    expect(compose.services.postgres!.command).toContain('wal_level=logical');
  });

  it('waits for healthy dependencies and for the one-shot jobs to complete', () => {
    const conditions = (name: string) => compose.services[name]!.depends_on as Record<string, { condition: string }>;
    expect(conditions(DAEMON)).toMatchObject({
      postgres: { condition: 'service_healthy' },
      minio: { condition: 'service_healthy' },
      init: { condition: 'service_completed_successfully' },
    });
    expect(conditions('init')).toMatchObject({ postgres: { condition: 'service_healthy' }, 'minio-init': { condition: 'service_completed_successfully' } });
    expect(conditions('minio-init')).toMatchObject({ minio: { condition: 'service_healthy' } });
    expect(dependsOnTargets(compose.services.trino!)).toEqual(expect.arrayContaining(['postgres', 'minio', 'init']));
  });

  it('sets only variables the daemon reads: its settings and the AWS SDK chain', () => {
    expect(unknownEnvironmentProblems(compose, DAEMON, KNOWN_VARIABLES)).toEqual([]);
    const initSettings = Object.keys(environmentOf(compose.services.init!)).filter((name) => !name.startsWith('DEMO_'));
    expect(initSettings.filter((name) => !KNOWN_VARIABLES.has(name))).toEqual([]);
  });

  it('gives the daemon settings that load: s3:// lake on MinIO, catalog in the source database', () => {
    const settings = loadSettings({}, daemonEnvironment);
    expect(settings.lake).toMatch(/^s3:\/\/[a-z0-9.-]+\/[^/]+/);
    expect(settings.s3Endpoint).toBe('http://minio:9000');
    expect(settings.databaseUrl).toMatch(/^postgres:\/\/[^@]+@postgres:5432\/invoices$/);
    expect(settings.catalogUrl).toBeUndefined();
    expect(settings.catalog).toBe('jdbc');
    const containerPorts = (compose.services[DAEMON]!.ports ?? []).map((port) => String(port).split(':').at(-1));
    expect(containerPorts).toContain(String(settings.httpPort));
    expect(daemonEnvironment.AWS_ACCESS_KEY_ID).toBe(environmentOf(compose.services.minio!).MINIO_ROOT_USER);
    expect(daemonEnvironment.AWS_SECRET_ACCESS_KEY).toBe(environmentOf(compose.services.minio!).MINIO_ROOT_PASSWORD);
    expect(daemonEnvironment.DATABASE_URL).toContain(`:${environmentOf(compose.services.postgres!).POSTGRES_PASSWORD}@`);
  });

  it('creates the bucket the lake lives in', () => {
    const bucket = new URL(daemonEnvironment.LAKE!).host;
    expect(compose.services['minio-init']!.command).toEqual(['mb', '--ignore-existing', `lake/${bucket}`]);
    expect(environmentOf(compose.services['minio-init']!).MC_HOST_lake).toMatch(/^http:\/\/[^@]+@minio:9000$/);
  });

  it('builds the daemon and init from this repository, the same image', () => {
    const daemon = compose.services[DAEMON]!;
    const init = compose.services.init!;
    expect(daemon.image).toBe(init.image);
    expect(daemon.build).toEqual({ context: '.', target: 'runtime' });
    expect(daemon.command).toEqual(['run']);
    expect(daemon.stop_grace_period).toBeDefined();
  });
});

describe.skipIf(!DOCKER_COMPOSE)('docker-compose config -q (when docker-compose is installed)', () => {
  const config = (...args: string[]) => execFileSync('docker-compose', [...args, 'config', '-q'], { cwd: ROOT, stdio: 'pipe', env: { PATH: process.env.PATH } });

  it('accepts docker-compose.yml, with and without the trino profile', () => {
    expect(() => config()).not.toThrow();
    expect(() => config('--profile', 'trino')).not.toThrow();
  });

  it('rejects the broken fixture', () => {
    expect(() => config('-f', 'test/unit/deploy/fixtures/broken-compose.yml')).toThrow(/restart_policy/);
  });
});

describe('deploy/trino/catalog/lake.properties', () => {
  const catalog = properties(join(ROOT, 'deploy/trino/catalog/lake.properties'));
  const lake = new URL(daemonEnvironment.LAKE!);

  it('attaches the Iceberg JDBC catalog the daemon commits to', () => {
    expect(catalog.get('connector.name')).toBe('iceberg');
    expect(catalog.get('iceberg.catalog.type')).toBe('jdbc');
    expect(daemonEnvironment.CATALOG_NAME).toBe(SETTINGS.catalogName.default);
    expect(catalog.get('iceberg.jdbc-catalog.catalog-name')).toBe(SETTINGS.catalogName.default);
    const url = catalog.get('iceberg.jdbc-catalog.connection-url')!;
    expect(url).toBe(`jdbc:postgresql://postgres:5432/invoices?currentSchema=${SETTINGS.catalogSchema.default}`);
    expect(catalog.get('iceberg.jdbc-catalog.connection-user')).toBe(environmentOf(compose.services.postgres!).POSTGRES_USER);
    expect(catalog.get('iceberg.jdbc-catalog.driver-class')).toBe('org.postgresql.Driver');
    expect(catalog.get('iceberg.jdbc-catalog.default-warehouse-dir')).toBe(`s3://${lake.host}${lake.pathname}`);
  });

  it('reads MinIO through the native S3 file system, path-style', () => {
    expect(catalog.get('fs.native-s3.enabled')).toBe('true');
    expect(catalog.get('s3.endpoint')).toBe(daemonEnvironment.S3_ENDPOINT);
    expect(catalog.get('s3.path-style-access')).toBe('true');
    expect(catalog.get('s3.region')).toBe(daemonEnvironment.AWS_REGION);
  });

  it('takes every secret from an environment variable the trino service sets', () => {
    const referenced = [...readFileSync(join(ROOT, 'deploy/trino/catalog/lake.properties'), 'utf8').matchAll(/\$\{ENV:([A-Z0-9_]+)\}/g)].map((match) => match[1]!);
    expect(referenced.length).toBeGreaterThanOrEqual(3);
    const trinoEnvironment = environmentOf(compose.services.trino!);
    for (const name of referenced) expect(trinoEnvironment, name).toHaveProperty(name);
    expect(catalog.get('iceberg.jdbc-catalog.connection-password')).toMatch(/^\$\{ENV:/);
    expect(catalog.get('s3.aws-secret-key')).toMatch(/^\$\{ENV:/);
    expect(trinoEnvironment.LAKE_CATALOG_PASSWORD).toBe(environmentOf(compose.services.postgres!).POSTGRES_PASSWORD);
  });
});

describe('deploy/postgres/initdb', () => {
  it('creates the source tables with the same DDL as src/source/source-schema.ts', () => {
    const sql = normalizeSql(readFileSync(join(ROOT, 'deploy/postgres/initdb/10-invoice-lake-schema.sql'), 'utf8').replace(/--.*$/gm, ''));
    const statements = sql.split(';').map((statement) => statement.trim()).filter(Boolean);
    expect(statements).toEqual([CUSTOMERS_DDL, INVOICES_DDL, ...INVOICES_INDEX_DDL.map((index) => index.sql)].map(normalizeSql));
  });
});

describe('deploy/compose/demo-init.sh', () => {
  it('recognises the line `setup` prints when it created the slot', () => {
    const script = readFileSync(join(ROOT, 'deploy/compose/demo-init.sh'), 'utf8');
    expect(script).toContain("grep -q '^replication slot .* (pgoutput): created$'");
    // The line comes from src/cli/setup-command.ts.
    const setup = readFileSync(join(ROOT, 'src/cli/setup-command.ts'), 'utf8');
    expect(setup).toContain("`replication slot ${slotName} (pgoutput): ${created.createdSlot ? 'created' : 'exists'}`");
  });
});

describe('the checks fail on a broken compose file', () => {
  const broken = loadCompose(join(ROOT, 'test/unit/deploy/fixtures/broken-compose.yml'), {});

  it('reports schema violations', () => {
    const problems = schemaProblems(broken).join('\n');
    expect(problems).toMatch(/\/services\/postgres\/healthcheck\/interval must match format "duration"/);
    expect(problems).toMatch(/\/services\/minio must NOT have additional properties .*restart_policy/);
    expect(problems).toMatch(/\/services\/minio\/ports\/1 must match format "ports"/);
  });

  it('reports a missing mounted file, unknown and profile-only dependencies, an undeclared volume', () => {
    expect(bindMountProblems(broken, ROOT)).toEqual(['invoice-lake: bind-mounted ./deploy/does-not-exist.sh does not exist']);
    expect(referenceProblems(broken)).toEqual([
      'invoice-lake: depends_on ghost, which is not a service',
      'invoice-lake: starts by default but depends on trino, which only starts with profile trino',
      'invoice-lake: named volume cache is not declared under volumes',
    ]);
  });

  it('reports clashing host ports, missing healthchecks, unknown variables and profiles', () => {
    expect(portProblems(broken)).toEqual([
      'trino: host port 9464/tcp is also published by invoice-lake',
      'trino: host port 9000/tcp is also published by minio',
    ]);
    expect(healthcheckProblems(broken, ['postgres', 'minio', DAEMON])).toEqual(['minio: no healthcheck', 'invoice-lake: no healthcheck']);
    expect(unknownEnvironmentProblems(broken, DAEMON, KNOWN_VARIABLES)).toEqual(['invoice-lake: HTTP_PROT is not a setting the program reads']);
    expect(profileProblems(broken, { minio: ['trino'] })).toEqual(['minio: profiles are [], expected [trino]']);
  });
});

describe('Dockerfile', () => {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  // Instructions with their continuation lines joined; heredoc bodies dropped.
  const instructions = text
    .replace(/<<'?(\w+)'?\n[\s\S]*?\n\1\n/g, '\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const stages = instructions.map((line, index) => ({ line, index })).filter(({ line }) => /^FROM /i.test(line));
  const runtime = instructions.slice(stages.at(-1)!.index);
  const of = (keyword: string) => runtime.filter((line) => line.toUpperCase().startsWith(`${keyword} `));

  it('is multi-stage on a Node.js LTS slim image, installing production dependencies only', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(text).toMatch(/^ARG NODE_IMAGE=node:(22|24)-bookworm-slim$/m);
    expect(text).toMatch(/npm ci --omit=dev/);
    expect(text).toMatch(/COPY package\.json package-lock\.json \.npmrc/);
    expect(readFileSync(join(ROOT, '.npmrc'), 'utf8')).toContain('onnxruntime-node-install=skip');
  });

  it('runs as a non-root user, with httpfs installed as that user', () => {
    const users = of('USER');
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^USER (root|0)(:|$)/);
    expect(text).toMatch(/INSTALL httpfs/);
    const userLine = runtime.findIndex((line) => line.startsWith('USER '));
    const installLine = runtime.findIndex((line) => line.startsWith('RUN node --input-type=module'));
    expect(installLine).toBeGreaterThan(userLine);
  });

  it('checks /healthz, runs the daemon under tini in exec form', () => {
    expect(of('HEALTHCHECK').join('\n')).toMatch(/\/healthz/);
    expect(of('ENTRYPOINT')).toEqual(['ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/bin/invoice-lake.js"]']);
    expect(of('CMD')).toEqual(['CMD ["run"]']);
    expect(of('EXPOSE')).toEqual([`EXPOSE ${SETTINGS.httpPort.default}`]);
  });

  it('sets only real settings as ENV defaults', () => {
    const names = of('ENV').flatMap((line) => [...line.slice(4).matchAll(/([A-Z_][A-Z0-9_]*)=/g)].map((match) => match[1]!));
    expect(names).toContain('HTTP_PORT');
    expect(names.filter((name) => name !== 'NODE_ENV' && !KNOWN_VARIABLES.has(name))).toEqual([]);
  });

  it('copies files that exist and that .dockerignore lets through', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', '.env', 'lake', 'test', 'terraform']));
    const sources = instructions
      .filter((line) => line.startsWith('COPY ') && !line.includes('--from='))
      .flatMap((line) => line.split(/\s+/).slice(1, -1).filter((part) => !part.startsWith('--')));
    expect(sources.length).toBeGreaterThan(5);
    for (const source of sources) {
      expect(existsSync(join(ROOT, source)), source).toBe(true);
      expect(ignored, source).not.toContain(source);
    }
    expect(sources).toEqual(expect.arrayContaining(['bin', 'src', 'models', 'jobs']));
  });
});
