import { Option, type Command } from 'commander';
import { SETTINGS, type SettingName, type Settings } from '../config/settings.ts';
import { loadSettings } from '../config/load-config.ts';

/** Adds the given settings as `--flag <value>` options, described from the schema. */
export function withSettings(command: Command, names: readonly SettingName[]): Command {
  for (const name of names) {
    const spec = SETTINGS[name];
    const defaultText = 'default' in spec ? ` (default: ${spec.default})` : '';
    const argument = 'boolean' in spec && spec.boolean ? '[value]' : '<value>';
    command.addOption(new Option(`--${spec.flag} ${argument}`, `${spec.description} [env ${spec.env}]${defaultText}`));
  }
  return command;
}

/** Settings from the parsed options of a command (flags) over the environment. */
export function settingsFrom(options: Record<string, unknown>): Settings {
  const flags: Partial<Record<SettingName, string>> = {};
  for (const name of Object.keys(SETTINGS) as SettingName[]) {
    const attribute = new Option(`--${SETTINGS[name].flag} <value>`).attributeName();
    const value = options[attribute];
    if (typeof value === 'string') flags[name] = value;
    else if (value === true) flags[name] = 'true';
  }
  return loadSettings(flags);
}

export const LAKE_SETTINGS = ['lake', 's3Endpoint', 's3ForcePathStyle', 'lakeCacheDir', 'lakeCacheMaxBytes', 'catalog', 'catalogUrl', 'catalogName', 'catalogSchema', 'namespace'] as const satisfies readonly SettingName[];
export const SOURCE_SETTINGS = ['databaseUrl', 'sourceTable', 'slotName', 'publicationName'] as const satisfies readonly SettingName[];
export const SCORING_SETTINGS = ['modelsDir', 'unscored', 'alertThreshold', 'alertChannel', 'alertWebhookUrl', 'alertWebhookAuthorization', 'modelMaxBytes'] as const satisfies readonly SettingName[];
export const BATCH_SETTINGS = ['batchMaxRows', 'batchMaxBytes', 'batchMaxDelayMs'] as const satisfies readonly SettingName[];
export const JOB_SETTINGS = ['jobsDir', 'jobsConcurrency', 'jobsMinIntervalMs', 'sourcesFile', 'jobTimeoutMs', 'jobMemoryLimitMb'] as const satisfies readonly SettingName[];
