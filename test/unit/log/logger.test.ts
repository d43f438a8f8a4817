import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/logger.ts';
import { loadSettings } from '../../../src/config/load-config.ts';
import { SETTINGS, type SettingName } from '../../../src/config/settings.ts';

/**
 * A valid value for each secret setting, each holding a distinctive secret part.
 * A new secret setting fails the first test until it has a sample here.
 */
const SECRET_SAMPLES: Partial<Record<SettingName, { value: string; secretParts: string[] }>> = {
  databaseUrl: { value: 'postgres://app:Src%40Pw9x@db.internal:5432/invoices?sslmode=require', secretParts: ['Src%40Pw9x', 'Src@Pw9x'] },
  catalogUrl: { value: 'postgresql://cat:CatPw7"q\\z@catalog.internal/lake', secretParts: ['CatPw7"q\\z', 'CatPw7\\"q\\\\z'] },
  alertWebhookUrl: { value: 'https://hooks.example.com/in?channel=ops&token=HookTok5k', secretParts: ['HookTok5k'] },
  alertWebhookAuthorization: { value: 'Bearer AuthTok3m', secretParts: ['AuthTok3m'] },
};

const secretNames = (Object.keys(SETTINGS) as SettingName[]).filter((name) => 'secret' in SETTINGS[name] && SETTINGS[name].secret);

function capture(options: Parameters<typeof createLogger>[1] = {}): { logger: ReturnType<typeof createLogger>; text: () => string } {
  let text = '';
  const logger = createLogger('debug', { ...options, destination: { write: (line: string) => void (text += line) } });
  return { logger, text: () => text };
}

function secretEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of secretNames) env[SETTINGS[name].env] = SECRET_SAMPLES[name]!.value;
  return env;
}

/** Logs the settings and the secrets every way a caller might. */
function logEverywhere(logger: ReturnType<typeof createLogger>, settings: Record<string, unknown>): void {
  logger.info({ settings }, 'settings');
  logger.info(settings, 'flat settings');
  for (const name of secretNames) {
    const value = String(settings[name]);
    logger.warn(`message quoting ${value} in its text`);
    for (const part of SECRET_SAMPLES[name as SettingName]!.secretParts) logger.warn({ detail: `only the part ${part}` }, `part ${part} alone`);
    logger.error({ err: new Error(`failed at ${value}`), nested: { deeper: [value] } }, 'error with a cause');
  }
}

describe('createLogger redacts every secret setting (driven by the schema)', () => {
  it('has a sample for every setting marked secret', () => {
    expect(secretNames.length).toBeGreaterThanOrEqual(4);
    for (const name of secretNames) expect(SECRET_SAMPLES[name], `add a sample for the secret setting ${name}`).toBeDefined();
  });

  it('given the loaded settings: no secret value appears in any log line', () => {
    const settings = loadSettings({}, secretEnv());
    const { logger, text } = capture({ settings });
    logEverywhere(logger, settings);
    for (const name of secretNames) {
      for (const part of SECRET_SAMPLES[name]!.secretParts) expect(text(), `${name} leaked`).not.toContain(part);
    }
    // still useful to an operator: the non-secret parts stay
    expect(text()).toContain('postgres://app:***@db.internal:5432/invoices');
    expect(text()).toContain('"batchMaxRows":25000');
  });

  it('without settings passed, the secrets come from the environment named by the schema', () => {
    const env = secretEnv();
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      const settings = loadSettings({}, env);
      const { logger, text } = capture();
      logEverywhere(logger, settings);
      for (const name of secretNames) {
        for (const part of SECRET_SAMPLES[name]!.secretParts) expect(text(), `${name} leaked`).not.toContain(part);
      }
    } finally {
      for (const key of Object.keys(env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  });

  it('redacts credentials in any URL a message quotes, secret setting or not', () => {
    const { logger, text } = capture({ secrets: [] });
    logger.warn({ reason: 'cannot reach https://u:Pw4Zz@h.example/x?X-Amz-Signature=Sig8Qq' }, 'oops');
    expect(text()).not.toMatch(/Pw4Zz|Sig8Qq/);
  });
});
