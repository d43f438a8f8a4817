import { SETTINGS, type SettingName, type Settings } from './settings.ts';
import { LakeError } from '../errors/lake-error.ts';
import { redactText, redactUrlsIn } from './redact.ts';

/**
 * Resolves every setting: a flag wins over the environment, the environment
 * over the default. An invalid value fails with a message naming the flag
 * or environment variable it came from (the hint names both); a parser's
 * message is redacted once more here, so no parser can leak a secret value.
 */
export function loadSettings(flags: Partial<Record<SettingName, string>>, env: NodeJS.ProcessEnv = process.env): Settings {
  const settings = {} as Record<SettingName, unknown>;
  for (const name of Object.keys(SETTINGS) as SettingName[]) {
    const spec = SETTINGS[name];
    const fromFlag = flags[name];
    const fromEnv = env[spec.env];
    const raw = fromFlag ?? (fromEnv === '' ? undefined : fromEnv) ?? ('default' in spec ? spec.default : undefined);
    if (raw === undefined) {
      settings[name] = undefined;
      continue;
    }
    try {
      settings[name] = spec.parse(raw);
    } catch (error) {
      const source = fromFlag !== undefined ? `--${spec.flag}` : `${spec.env}`;
      const problem = 'secret' in spec && spec.secret ? redactText((error as Error).message, [raw]) : redactUrlsIn((error as Error).message);
      throw new LakeError('config', `invalid ${source}: ${problem}`, {
        hint: `set --${spec.flag} or the ${spec.env} environment variable: ${spec.description}`,
      });
    }
  }
  return settings as Settings;
}

/** Settings that must be present for a command, with a message naming the setting. */
export function requireSetting<K extends SettingName>(settings: Settings, name: K): NonNullable<Settings[K]> {
  const value = settings[name];
  if (value === undefined || value === null) {
    const spec = SETTINGS[name];
    throw new LakeError('config', `${spec.env} is not set`, { hint: `set --${spec.flag} or ${spec.env}: ${spec.description}` });
  }
  return value as NonNullable<Settings[K]>;
}
