/**
 * Parsers of the URL settings. Each checks at load what the client would
 * otherwise refuse later with a bare "Invalid URL" that names no setting;
 * a message quotes the URL only in its redacted form (load-config.ts adds
 * the setting's name, env and flag).
 */
import { redactUrl } from './redact.ts';

/** A PostgreSQL connection URL as node-postgres parses it (pg-connection-string uses WHATWG URL). */
export function postgresUrl(value: string): string {
  if (!/^postgres(ql)?:\/\//i.test(value)) throw new Error('expected a postgres:// or postgresql:// connection URL');
  // pg-connection-string also accepts `user:pw@/db?host=/socket` by substituting a host.
  if (!parses(value) && !parses(value.replace('@/', '@host/'))) throw notAUrl(value);
  return value;
}

export function httpUrl(value: string): string {
  if (!/^https?:\/\//i.test(value)) throw new Error('expected an http:// or https:// URL');
  if (!parses(value)) throw notAUrl(value);
  return value;
}

/** An http(s) URL without user info: S3 credentials come from the AWS provider chain, never from a setting. */
export function endpointUrl(value: string): string {
  const url = new URL(httpUrl(value));
  if (url.username || url.password) throw new Error('expected a URL without credentials (use AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or an AWS profile)');
  return value;
}

/**
 * The alert webhook: an http(s) URL without user info. `fetch` refuses
 * URLs with credentials, so such a setting could never deliver an alert;
 * the credential belongs in the Authorization header setting (`header`).
 */
export function webhookUrl(header: { env: string; flag: string }) {
  return (value: string): string => {
    const url = new URL(httpUrl(value));
    if (url.username || url.password) {
      throw new Error(
        `the URL must not contain user:password@ (fetch refuses credentials in URLs); ` +
          `put the credential in ${header.env} (--${header.flag}), e.g. "Basic <base64 of user:password>" or "Bearer <token>"`,
      );
    }
    return value;
  };
}

function parses(value: string): boolean {
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

/** What is wrong with a URL the parser refused, as far as can be said without quoting a password. */
function notAUrl(value: string): Error {
  return new Error(`not a valid URL: ${problemOf(value)} (${redactUrl(value)})`);
}

function problemOf(value: string): string {
  const afterScheme = value.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const authority = afterScheme.split(/[/?#]/)[0]!;
  // The host part follows the last @ of the authority (a password may hold more).
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  if (hostPort.startsWith('[') && !hostPort.includes(']')) return 'the IPv6 host lacks its closing ]';
  const port = /^(?:\[[^\]]*\]|[^:]*):(.*)$/.exec(hostPort)?.[1];
  if (port !== undefined && port !== '') {
    if (!/^\d+$/.test(port) || Number(port) > 65_535) return `port ${/^\d+$/.test(port) ? port : JSON.stringify(port)} is not between 0 and 65535`;
  }
  if (hostPort === '' || hostPort.startsWith(':')) return 'it has no host';
  if (/[\s<>"{}|\\^`]/.test(hostPort)) return 'the host contains characters a host name cannot';
  return 'it does not parse; percent-encode reserved characters (@ : / ? #) in the user name and password';
}
