import { describe, expect, it } from 'vitest';
import { redactSecrets, redactUrl, redactUrlsIn } from '../../../src/config/redact.ts';

const URL_WITH_PASSWORD = 'postgres://invoice_app:s3cretPW@db.internal:5432/invoices';

describe('redactUrl', () => {
  it('replaces the password and keeps user, host, port and database', () => {
    const redacted = redactUrl(URL_WITH_PASSWORD);
    expect(redacted).not.toContain('s3cretPW');
    expect(redacted).toBe('postgres://invoice_app:***@db.internal:5432/invoices');
  });

  it('works for postgresql:// URLs, IPv4 and IPv6 hosts', () => {
    expect(redactUrl('postgresql://u:s3cretPW@127.0.0.1:6543/db')).toBe('postgresql://u:***@127.0.0.1:6543/db');
    expect(redactUrl('postgres://u:s3cretPW@[::1]:5432/db')).toBe('postgres://u:***@[::1]:5432/db');
  });

  it('redacts percent-encoded passwords with reserved characters', () => {
    const redacted = redactUrl('postgres://u:p%40ss%3Aw%2Fd@h/db');
    expect(redacted).toBe('postgres://u:***@h/db');
  });

  it('redacts password-like query parameters and keeps the others', () => {
    const redacted = redactUrl('postgres://u@h/db?sslmode=verify-full&password=s3cretPW&application_name=lake');
    expect(redacted).not.toContain('s3cretPW');
    expect(redacted).toContain('sslmode=verify-full');
    expect(redacted).toContain('application_name=lake');
    expect(redacted).toContain('password=');
  });

  it('leaves a URL without a password as it is', () => {
    expect(redactUrl('postgres://u@h:5432/db')).toBe('postgres://u@h:5432/db');
    expect(redactUrl('postgres://h/db?sslmode=require')).toBe('postgres://h/db?sslmode=require');
  });

  it('still redacts text the URL parser rejects', () => {
    const redacted = redactUrl('postgres://u:s3cretPW@[not-an-ip/db');
    expect(redacted).not.toContain('s3cretPW');
    expect(redacted).toBe('postgres://u:***@[not-an-ip/db');
  });

  it('leaves text that is not a URL alone', () => {
    expect(redactUrl('just some text')).toBe('just some text');
  });
});

describe('redactSecrets', () => {
  it('replaces a quoted connection string by its redacted form', () => {
    const message = `cannot connect to ${URL_WITH_PASSWORD}: timeout`;
    expect(redactSecrets(message, [URL_WITH_PASSWORD])).toBe(
      'cannot connect to postgres://invoice_app:***@db.internal:5432/invoices: timeout',
    );
  });

  it('removes the bare password wherever it is quoted', () => {
    const message = 'password "s3cretPW" rejected; retried with s3cretPW';
    const redacted = redactSecrets(message, [URL_WITH_PASSWORD]);
    expect(redacted).not.toContain('s3cretPW');
    expect(redacted).toBe('password "***" rejected; retried with ***');
  });

  it('removes the decoded form of a percent-encoded password', () => {
    const redacted = redactSecrets('auth failed for p@ss:word', ['postgres://u:p%40ss%3Aword@h/db']);
    expect(redacted).not.toContain('p@ss:word');
  });

  it('handles several secrets and repeated occurrences', () => {
    const catalog = 'postgres://cat:0therPW@c/db';
    const message = `${URL_WITH_PASSWORD} / ${catalog} / ${URL_WITH_PASSWORD}`;
    const redacted = redactSecrets(message, [URL_WITH_PASSWORD, undefined, catalog, '']);
    expect(redacted).not.toMatch(/s3cretPW|0therPW/);
    expect(redacted.match(/\*\*\*/g)).toHaveLength(3);
  });

  it('does not scrub very short passwords out of ordinary words, but still redacts the URL', () => {
    const url = 'postgres://u:ab@h/db';
    const redacted = redactSecrets(`table abc at ${url}`, [url]);
    expect(redacted).toBe('table abc at postgres://u:***@h/db');
  });

  it('leaves messages without secrets unchanged', () => {
    expect(redactSecrets('relation "invoices" does not exist', [URL_WITH_PASSWORD, undefined])).toBe(
      'relation "invoices" does not exist',
    );
    expect(redactSecrets('no secrets given', [])).toBe('no secrets given');
  });

  it('a secret without a password (plain URL) changes nothing else', () => {
    expect(redactSecrets('at postgres://u@h/db', ['postgres://u@h/db'])).toBe('at postgres://u@h/db');
  });
});

describe('redactSecrets with a percent-encoded password', () => {
  it('scrubs the password whether a message quotes it encoded or decoded', () => {
    const url = 'postgres://app:p%40ss%2Fword@db:5432/x';
    const message = 'failed for p%40ss%2Fword and p@ss/word';
    const redacted = redactSecrets(message, [url]);
    expect(redacted).not.toContain('p%40ss%2Fword');
    expect(redacted).not.toContain('p@ss/word');
  });
});

describe('redactUrl on http(s) URLs (webhooks, endpoints)', () => {
  it('removes the whole user info: the user name may be the token', () => {
    const redacted = redactUrl('https://alerts:hunter2pw@hooks.example.com/in?x=1');
    expect(redacted).not.toMatch(/hunter2pw|alerts/);
    expect(redacted).toBe('https://***@hooks.example.com/in?x=1');
    expect(redactUrl('https://ghp_tokenOnly123@api.example.com/')).toBe('https://***@api.example.com/');
  });

  it.each([
    'token',
    'access_token',
    'api_key',
    'apikey',
    'key',
    'secret',
    'client_secret',
    'password',
    'pwd',
    'signature',
    'sig',
    'auth',
    'authorization',
    'X-Amz-Signature',
    'X-Amz-Credential',
    'X-Amz-Security-Token',
    'code',
  ])('masks the value of a %s query parameter and keeps the others', (key) => {
    const redacted = redactUrl(`https://hooks.example.com/in?channel=ops&${key}=tok123secret&v=2`);
    expect(redacted).not.toContain('tok123secret');
    expect(redacted).toContain(`${key}=***`);
    expect(redacted).toContain('channel=ops');
    expect(redacted).toContain('v=2');
  });

  it('an unparseable URL loses everything up to the last @ of its user info', () => {
    const redacted = redactUrl('postgres://u:p@ss@localhost:99999/db');
    expect(redacted).toBe('postgres://u:***@localhost:99999/db');
  });
});

describe('redactUrlsIn', () => {
  it('redacts every URL quoted in a message, leaving the words around them', () => {
    const message = 'Request cannot be constructed from a URL that includes credentials: http://user:hunter2pw@127.0.0.1:1/x?token=tok123secret (then gave up)';
    const redacted = redactUrlsIn(message);
    expect(redacted).not.toMatch(/hunter2pw|tok123secret/);
    expect(redacted).toBe('Request cannot be constructed from a URL that includes credentials: http://***@127.0.0.1:1/x?token=*** (then gave up)');
    expect(redactUrlsIn('at postgres://app:s3cretPW@db/x and s3://bucket/p?X-Amz-Signature=abcdef')).toBe('at postgres://app:***@db/x and s3://bucket/p?X-Amz-Signature=***');
  });

  it('leaves text without URLs alone', () => {
    expect(redactUrlsIn('relation "invoices" does not exist')).toBe('relation "invoices" does not exist');
  });
});
