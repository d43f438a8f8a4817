/**
 * Secrets never reach logs: connection strings lose their password, and any
 * message can be scrubbed of the secrets it might quote.
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    for (const key of [...parsed.searchParams.keys()]) {
      if (/pass|secret|token|key/i.test(key)) parsed.searchParams.set(key, '***');
    }
    return parsed.toString();
  } catch {
    return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
  }
}

/** Replaces every occurrence of each secret (and its password part) in `message`. */
export function redactSecrets(message: string, secrets: ReadonlyArray<string | undefined>): string {
  let result = message;
  for (const secret of secrets) {
    if (!secret) continue;
    result = result.split(secret).join(redactUrl(secret));
    // Both spellings: a message may quote the password as typed in the URL (`p%40ss`) or decoded (`p@ss`).
    for (const password of passwordsOf(secret)) {
      if (password.length >= 3) result = result.split(password).join('***');
    }
  }
  return result;
}

function passwordsOf(url: string): string[] {
  try {
    const encoded = new URL(url).password;
    if (!encoded) return [];
    const decoded = decodeURIComponent(encoded);
    return decoded === encoded ? [encoded] : [encoded, decoded];
  } catch {
    return [];
  }
}
