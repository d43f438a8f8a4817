import { SETTINGS, type SettingName, type Settings } from './settings.ts';

/** The settings marked `secret` in the schema: the one list redaction works from. */
export const SECRET_SETTINGS: readonly SettingName[] = (Object.keys(SETTINGS) as SettingName[]).filter(
  (name) => 'secret' in SETTINGS[name] && SETTINGS[name].secret === true,
);

/**
 * The values of every secret setting that this process may quote: those of
 * the loaded settings, and those in the environment variables and
 * command-line flags the schema names (so a logger made before the settings
 * are loaded, or an error about an invalid value, still knows them).
 */
export function secretSettingValues(
  from: { settings?: Partial<Settings>; env?: NodeJS.ProcessEnv; argv?: readonly string[] } = { env: process.env, argv: process.argv },
): string[] {
  const values = new Set<string>();
  for (const name of SECRET_SETTINGS) {
    const spec = SETTINGS[name];
    const loaded = from.settings?.[name];
    if (typeof loaded === 'string') values.add(loaded);
    const fromEnv = from.env?.[spec.env];
    if (fromEnv) values.add(fromEnv);
    const argv = from.argv ?? [];
    argv.forEach((arg, i) => {
      if (arg === `--${spec.flag}` && argv[i + 1] !== undefined) values.add(argv[i + 1]!);
      else if (arg.startsWith(`--${spec.flag}=`)) values.add(arg.slice(spec.flag.length + 3));
    });
  }
  values.delete('');
  return [...values];
}
