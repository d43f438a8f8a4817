import { describe, expect, it } from 'vitest';
import { loadSettings, requireSetting } from '../../../src/config/load-config.ts';
import { SETTINGS, type SettingName } from '../../../src/config/settings.ts';
import { LakeError } from '../../../src/errors/lake-error.ts';

/** loadSettings with an explicit environment, never the test process's own. */
const load = (flags: Partial<Record<SettingName, string>> = {}, env: NodeJS.ProcessEnv = {}) => loadSettings(flags, env);

/** The LakeError thrown by `fn`, failing the test when nothing is thrown. */
function thrown(fn: () => unknown): LakeError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(LakeError);
    return error as LakeError;
  }
  throw new Error('expected a LakeError, nothing was thrown');
}

describe('loadSettings precedence', () => {
  it('uses the defaults with no flag and no environment', () => {
    const settings = load();
    expect(settings.lake).toBe('./lake');
    expect(settings.catalog).toBe('jdbc');
    expect(settings.catalogName).toBe('invoice_lake');
    expect(settings.catalogSchema).toBe('invoice_lake_catalog');
    expect(settings.namespace).toBe('lake');
    expect(settings.sourceTable).toBe('public.invoices');
    expect(settings.slotName).toBe('invoice_lake');
    expect(settings.publicationName).toBe('invoice_lake');
    expect(settings.batchMaxRows).toBe(25_000);
    expect(settings.batchMaxBytes).toBe(64 * 1024 * 1024);
    expect(settings.batchMaxDelayMs).toBe(500);
    expect(settings.httpPort).toBe(9464);
    expect(settings.logLevel).toBe('info');
  });

  it('leaves settings without a default undefined', () => {
    const settings = load();
    expect(settings.databaseUrl).toBeUndefined();
    expect(settings.catalogUrl).toBeUndefined();
  });

  it('the environment beats the default', () => {
    const settings = load({}, { BATCH_MAX_ROWS: '500', LAKE: '/data/lake', LOG_LEVEL: 'debug', DATABASE_URL: 'postgres://u@h/db' });
    expect(settings.batchMaxRows).toBe(500);
    expect(settings.lake).toBe('/data/lake');
    expect(settings.logLevel).toBe('debug');
    expect(settings.databaseUrl).toBe('postgres://u@h/db');
  });

  it('a flag beats the environment', () => {
    const settings = load(
      { batchMaxRows: '7', lake: '/flag/lake', databaseUrl: 'postgresql://flag@h/db' },
      { BATCH_MAX_ROWS: '500', LAKE: '/env/lake', DATABASE_URL: 'postgres://env@h/db' },
    );
    expect(settings.batchMaxRows).toBe(7);
    expect(settings.lake).toBe('/flag/lake');
    expect(settings.databaseUrl).toBe('postgresql://flag@h/db');
  });

  it('a valid flag wins even when the environment value is invalid', () => {
    expect(load({ batchMaxRows: '7' }, { BATCH_MAX_ROWS: 'abc' }).batchMaxRows).toBe(7);
  });

  it('an empty environment variable counts as unset', () => {
    expect(load({}, { BATCH_MAX_ROWS: '', LAKE: '' }).batchMaxRows).toBe(25_000);
    expect(load({}, { LAKE: '' }).lake).toBe('./lake');
    expect(load({}, { DATABASE_URL: '' }).databaseUrl).toBeUndefined();
  });

  it('reads process.env when no environment is passed', () => {
    const before = process.env.BATCH_MAX_DELAY_MS;
    process.env.BATCH_MAX_DELAY_MS = '1234';
    try {
      expect(loadSettings({}).batchMaxDelayMs).toBe(1234);
    } finally {
      if (before === undefined) delete process.env.BATCH_MAX_DELAY_MS;
      else process.env.BATCH_MAX_DELAY_MS = before;
    }
  });
});

describe('loadSettings validation', () => {
  it('an invalid environment value names the variable, is a config error (exit 2) and hints at the flag', () => {
    const error = thrown(() => load({}, { BATCH_MAX_ROWS: 'abc' }));
    expect(error.kind).toBe('config');
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain('BATCH_MAX_ROWS');
    expect(error.message).toContain('"abc"');
    expect(error.message).not.toContain('--batch-max-rows');
    expect(error.hint).toContain('--batch-max-rows');
    expect(error.hint).toContain('BATCH_MAX_ROWS');
  });

  it('an invalid flag value names the flag', () => {
    const error = thrown(() => load({ batchMaxRows: 'abc' }, { BATCH_MAX_ROWS: '10' }));
    expect(error.message).toContain('--batch-max-rows');
    expect(error.exitCode).toBe(2);
  });

  it.each<[SettingName, string, string]>([
    ['batchMaxRows', '0', 'BATCH_MAX_ROWS'],
    ['batchMaxRows', '10000001', 'BATCH_MAX_ROWS'],
    ['batchMaxRows', '-5', 'BATCH_MAX_ROWS'],
    ['batchMaxRows', '1.5', 'BATCH_MAX_ROWS'],
    ['batchMaxRows', '1e3', 'BATCH_MAX_ROWS'],
    ['batchMaxRows', '0x10', 'BATCH_MAX_ROWS'],
    ['batchMaxBytes', '1024', 'BATCH_MAX_BYTES'],
    ['batchMaxDelayMs', '5', 'BATCH_MAX_DELAY_MS'],
    ['httpPort', '65536', 'HTTP_PORT'],
    ['logLevel', 'verbose', 'LOG_LEVEL'],
    ['logLevel', 'INFO', 'LOG_LEVEL'],
    ['catalog', 'hive', 'CATALOG'],
    ['catalogName', 'Lake-Prod', 'CATALOG_NAME'],
    ['catalogSchema', 'drop table x;', 'CATALOG_SCHEMA'],
    ['namespace', '1lake', 'LAKE_NAMESPACE'],
    ['slotName', 'slot-name', 'SLOT_NAME'],
    ['publicationName', 'a'.repeat(64), 'PUBLICATION_NAME'],
    ['sourceTable', 'a.b.c', 'SOURCE_TABLE'],
    ['sourceTable', 'Invoices', 'SOURCE_TABLE'],
    ['sourceTable', 'public.', 'SOURCE_TABLE'],
    ['sourceTable', 'public."invoices"', 'SOURCE_TABLE'],
    ['databaseUrl', 'mysql://u:p@h/db', 'DATABASE_URL'],
    ['databaseUrl', 'localhost:5432', 'DATABASE_URL'],
    ['catalogUrl', 'jdbc:postgresql://h/db', 'CATALOG_URL'],
  ])('%s = %j is rejected naming %s', (name, value, envName) => {
    expect(SETTINGS[name].env).toBe(envName);
    const error = thrown(() => load({}, { [envName]: value }));
    expect(error.message).toContain(envName);
    expect(error.exitCode).toBe(2);
    const flagError = thrown(() => load({ [name]: value }));
    expect(flagError.message).toContain(`--${SETTINGS[name].flag}`);
  });

  it.each<[SettingName, string, unknown]>([
    ['batchMaxRows', '1', 1],
    ['batchMaxRows', '10000000', 10_000_000],
    ['batchMaxBytes', String(64 * 1024), 64 * 1024],
    ['httpPort', '0', 0],
    ['httpPort', '65535', 65_535],
    ['logLevel', 'fatal', 'fatal'],
    ['catalog', 'filesystem', 'filesystem'],
    ['catalogName', 'lake_2', 'lake_2'],
    ['databaseUrl', 'postgresql://u:p@h:5432/db?sslmode=require', 'postgresql://u:p@h:5432/db?sslmode=require'],
  ])('%s = %j is accepted as %j', (name, value, expected) => {
    expect(load({ [name]: value })[name]).toBe(expected);
  });

  it('an invalid connection URL never quotes the URL (it may hold a password)', () => {
    const error = thrown(() => load({}, { DATABASE_URL: 'mysql://admin:s3cretPW@db.example/prod' }));
    expect(`${error.message} ${error.hint}`).not.toContain('s3cretPW');
    const catalogError = thrown(() => load({ catalogUrl: 'http://admin:s3cretPW@db.example/prod' }));
    expect(`${catalogError.message} ${catalogError.hint}`).not.toContain('s3cretPW');
  });

  it('connection URLs are marked secret', () => {
    expect(SETTINGS.databaseUrl.secret).toBe(true);
    expect(SETTINGS.catalogUrl.secret).toBe(true);
  });
});

describe('SOURCE_TABLE', () => {
  it('an unqualified table gets the public schema', () => {
    expect(load({}, { SOURCE_TABLE: 'invoices' }).sourceTable).toBe('public.invoices');
    expect(load({ sourceTable: 'sales_invoices' }).sourceTable).toBe('public.sales_invoices');
  });

  it('a qualified table keeps its schema', () => {
    expect(load({}, { SOURCE_TABLE: 'billing.invoices' }).sourceTable).toBe('billing.invoices');
    expect(load({}, { SOURCE_TABLE: 'public.invoices' }).sourceTable).toBe('public.invoices');
  });
});

describe('requireSetting', () => {
  it('returns a present value', () => {
    expect(requireSetting(load({}, { DATABASE_URL: 'postgres://h/db' }), 'databaseUrl')).toBe('postgres://h/db');
    expect(requireSetting(load(), 'batchMaxRows')).toBe(25_000);
  });

  it('names the environment variable and the flag of a missing setting (exit 2)', () => {
    const error = thrown(() => requireSetting(load(), 'databaseUrl'));
    expect(error.message).toBe('DATABASE_URL is not set');
    expect(error.exitCode).toBe(2);
    expect(error.hint).toContain('--database-url');
  });
});

describe('the settings schema', () => {
  it('has unique environment variables and flags', () => {
    const specs = Object.values(SETTINGS);
    expect(new Set(specs.map((s) => s.env)).size).toBe(specs.length);
    expect(new Set(specs.map((s) => s.flag)).size).toBe(specs.length);
  });

  it('every default parses with its own parser', () => {
    for (const spec of Object.values(SETTINGS)) {
      if ('default' in spec) expect(() => spec.parse(spec.default)).not.toThrow();
    }
  });
});

describe('URL settings are validated at load, naming the setting, redacted (exit 2)', () => {
  it.each<[SettingName, string]>([
    ['databaseUrl', 'postgres://u:s3cretPW@localhost:99999/db'],
    ['catalogUrl', 'postgresql://u:s3cretPW@localhost:70000/db'],
    ['alertWebhookUrl', 'https://hooks.example.com:99999/in?token=s3cretPW'],
    ['s3Endpoint', 'http://minio.internal:123456'],
  ])('%s with a port out of range: %s', (name, value) => {
    const spec = SETTINGS[name];
    for (const error of [thrown(() => load({}, { [spec.env]: value })), thrown(() => load({ [name]: value }))]) {
      expect(error.kind).toBe('config');
      expect(error.exitCode).toBe(2);
      expect(error.message).toMatch(new RegExp(`${spec.env}|--${spec.flag}`));
      expect(error.message).toMatch(/port \d+ is not between 0 and 65535/);
      expect(error.hint).toContain(spec.env);
      expect(error.hint).toContain(`--${spec.flag}`);
      expect(`${error.message} ${error.hint}`).not.toContain('s3cretPW');
    }
  });

  it.each<[SettingName, string]>([
    ['databaseUrl', 'postgres://u:s3cretPW@bad host/db'],
    ['databaseUrl', 'postgres://u:s3cretPW@[::1/db'],
    ['alertWebhookUrl', 'https://exa mple.com/in'],
    ['s3Endpoint', 'http://'],
  ])('%s that does not parse (%s) names the setting and shows the URL redacted', (name, value) => {
    const error = thrown(() => load({}, { [SETTINGS[name].env]: value }));
    expect(error.message).toContain(SETTINGS[name].env);
    expect(error.message).toMatch(/not a valid URL/);
    expect(`${error.message} ${error.hint}`).not.toContain('s3cretPW');
    expect(error.exitCode).toBe(2);
  });

  it('the webhook URL may not carry user info: fetch refuses it, and the message says where credentials go', () => {
    const error = thrown(() => load({}, { RISK_ALERT_WEBHOOK_URL: 'https://alerts:s3cretPW@hooks.example.com/in' }));
    expect(error.message).toContain('RISK_ALERT_WEBHOOK_URL');
    expect(error.message).toContain('user:password@');
    expect(error.message).toContain('RISK_ALERT_WEBHOOK_AUTHORIZATION');
    expect(`${error.message} ${error.hint}`).not.toMatch(/s3cretPW|alerts:/);
    expect(error.exitCode).toBe(2);
    const userOnly = thrown(() => load({ alertWebhookUrl: 'https://tokenAsUser@hooks.example.com/in' }));
    expect(userOnly.message).toContain('--alert-webhook');
    expect(userOnly.message).not.toContain('tokenAsUser');
  });

  it('accepts valid URLs unchanged (a query token in a webhook URL is allowed, and redacted in logs)', () => {
    expect(load({}, { RISK_ALERT_WEBHOOK_URL: 'https://hooks.example.com/in?token=abc' }).alertWebhookUrl).toBe('https://hooks.example.com/in?token=abc');
    expect(load({}, { S3_ENDPOINT: 'http://127.0.0.1:9000' }).s3Endpoint).toBe('http://127.0.0.1:9000');
    expect(load({}, { DATABASE_URL: 'postgres://u:p%40ss@[::1]:5432/db' }).databaseUrl).toBe('postgres://u:p%40ss@[::1]:5432/db');
    expect(load({}, { DATABASE_URL: 'postgres:///db?host=/var/run/postgresql' }).databaseUrl).toBe('postgres:///db?host=/var/run/postgresql');
    expect(load({}, { DATABASE_URL: 'postgres://u:pw@/db?host=/tmp' }).databaseUrl).toBe('postgres://u:pw@/db?host=/tmp');
  });

  it('the webhook Authorization header setting is secret', () => {
    expect(SETTINGS.alertWebhookAuthorization.secret).toBe(true);
    expect(SETTINGS.alertWebhookUrl.secret).toBe(true);
    expect(load({}, { RISK_ALERT_WEBHOOK_AUTHORIZATION: 'Bearer abc' }).alertWebhookAuthorization).toBe('Bearer abc');
  });
});

describe('MODEL_MAX_BYTES', () => {
  it('defaults to 256 MiB and accepts a byte count', () => {
    expect(load().modelMaxBytes).toBe(256 * 1024 * 1024);
    expect(load({}, { MODEL_MAX_BYTES: '1073741824' }).modelMaxBytes).toBe(1024 ** 3);
    expect(thrown(() => load({}, { MODEL_MAX_BYTES: '1GB' })).message).toContain('MODEL_MAX_BYTES');
  });
});

