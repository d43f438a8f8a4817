/**
 * Secrets never reach logs or error messages: URLs lose their user info and
 * credential-looking query values, and any message can be scrubbed of the
 * secrets it might quote (the values of settings marked `secret`, see
 * secret-values.ts). The logger runs every line through `redactText`.
 */

/**
 * Query parameters whose value is a credential: passwords, tokens, API keys,
 * signatures of presigned URLs (`X-Amz-Signature`, `X-Amz-Credential`,
 * `X-Amz-Security-Token`, `sig`), Azure Functions' `code`. Over-matching a key
 * only hides a harmless value (`sslkey=/path`); under-matching leaks one.
 */
const CREDENTIAL_KEY = /pass|pwd|secret|token|key|sig|auth|credential|session|^code$/i;
const MASK = '***';

/** PostgreSQL URLs keep their user name (it names the role, operators need it); other schemes lose all user info. */
const KEEPS_USER = /^postgres(ql)?:$/i;

/**
 * The URL with its password (and, except for postgres URLs, its user name)
 * and credential query values replaced by `***`. A URL with nothing to hide
 * comes back exactly as given; text the URL parser rejects is redacted by
 * pattern, erring on hiding too much.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return redactUnparsedUrl(url);
  }
  let changed = false;
  if (parsed.password) {
    parsed.password = MASK;
    changed = true;
  }
  if (parsed.username && !KEEPS_USER.test(parsed.protocol)) {
    parsed.username = MASK;
    parsed.password = '';
    changed = true;
  }
  for (const key of [...new Set(parsed.searchParams.keys())]) {
    if (CREDENTIAL_KEY.test(key)) {
      parsed.searchParams.set(key, MASK);
      changed = true;
    }
  }
  return changed ? parsed.toString() : url;
}

const URL_START = /^([a-z][a-z0-9+.-]*:\/\/)/i;
const QUERY_PAIR = /([?&])([^=&#\s]*)=([^&#\s]*)/g;

function redactUnparsedUrl(url: string): string {
  const scheme = URL_START.exec(url)?.[1];
  if (scheme === undefined) return url;
  let rest = url.slice(scheme.length);
  // Up to the last @: a password may hold an unencoded @, and hiding a host by mistake leaks nothing.
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const userInfo = rest.slice(0, at);
    const user = userInfo.split(':')[0]!;
    const shown = /^postgres(ql)?:\/\/$/i.test(scheme) ? (userInfo.includes(':') ? `${user}:${MASK}` : user) : MASK;
    rest = `${shown}${rest.slice(at)}`;
  }
  rest = rest.replace(QUERY_PAIR, (pair, separator: string, key: string) => (CREDENTIAL_KEY.test(key) ? `${separator}${key}=${MASK}` : pair));
  return scheme + rest;
}

/** URLs inside free text (error messages, log lines); stops at quotes and backslashes (JSON escapes). */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`\\]+/gi;

/** Redacts every URL quoted in `text`, secret setting or not. */
export function redactUrlsIn(text: string): string {
  return text.replace(URL_IN_TEXT, (url) => redactUrl(url));
}

/**
 * How a secret setting's value is shown: a postgres URL as its redacted form
 * (role, host, database stay), an http(s) URL as its origin only (webhook paths
 * are often the token itself), anything else as `***`.
 */
export function redactSecretValue(value: string): string {
  if (/^postgres(ql)?:\/\//i.test(value)) return redactUrl(value);
  if (/^https?:\/\//i.test(value)) {
    try {
      return `${new URL(value).origin}/${MASK}`;
    } catch {
      return MASK;
    }
  }
  return MASK;
}

/** Replaces every occurrence of each secret (and its password part) in `message`. */
export function redactSecrets(message: string, secrets: ReadonlyArray<string | undefined>): string {
  let result = message;
  for (const secret of secrets) {
    if (!secret) continue;
    result = result.split(secret).join(redactSecretValue(secret));
    // Both spellings: a message may quote the password as typed in the URL (`p%40ss`) or decoded (`p@ss`).
    for (const part of secretPartsOf(secret)) {
      if (part.length >= 3) result = result.split(part).join(MASK);
    }
  }
  return result;
}

/** Secrets, then any credentialed URL: what every log line and error message goes through. */
export function redactText(message: string, secrets: ReadonlyArray<string | undefined>): string {
  return redactUrlsIn(redactSecrets(message, secrets));
}

/**
 * The pieces of a secret a message may quote on their own: a URL's password
 * (encoded and decoded), an http URL's user and credential query values, the
 * credential after an auth scheme (`Bearer <token>`).
 */
export function secretPartsOf(secret: string): string[] {
  let parsed: URL | undefined;
  try {
    parsed = URL_START.test(secret) ? new URL(secret) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed) {
    const credential = /^[A-Za-z][\w-]*\s+(\S.*)$/.exec(secret)?.[1];
    return credential ? [credential] : [];
  }
  const parts: string[] = [];
  const addEncodedAndDecoded = (encoded: string) => {
    if (!encoded) return;
    parts.push(encoded);
    try {
      const decoded = decodeURIComponent(encoded);
      if (decoded !== encoded) parts.push(decoded);
    } catch {
      // not valid percent-encoding: the encoded form is all there is
    }
  };
  addEncodedAndDecoded(parsed.password);
  if (!KEEPS_USER.test(parsed.protocol)) addEncodedAndDecoded(parsed.username);
  for (const [key, value] of parsed.searchParams) if (CREDENTIAL_KEY.test(key) && value) parts.push(value);
  return parts;
}
