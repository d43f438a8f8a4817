import { LakeError } from '../errors/lake-error.ts';
import { redactUrl } from '../config/redact.ts';

/** `s3://bucket/prefix` split up; `prefix` has no leading or trailing slash and may be empty. */
export interface S3Location {
  bucket: string;
  prefix: string;
}

/**
 * Bucket names as S3 accepts them for new buckets (3–63 characters of a-z,
 * 0-9, '.', '-', starting and ending with a letter or digit). Checked here so
 * a typo fails at start with a message naming LAKE, not deep in a commit with
 * a signature or DNS error.
 */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Parses and validates an `s3://bucket/prefix` LAKE. */
export function parseS3Location(lake: string): S3Location {
  const fail = (problem: string, shown = redactUrl(lake)): never => {
    throw new LakeError('config', `LAKE ${shown}: ${problem}`, { hint: 'set LAKE (--lake) to s3://bucket or s3://bucket/prefix' });
  };
  if (/^s3:\/\/[^/]*@/.test(lake)) {
    return fail('credentials do not belong in LAKE; they come from the AWS default provider chain', 's3://***@…');
  }
  const match = /^s3:\/\/([^/?#]*)(\/[^?#]*)?$/.exec(lake);
  if (!match) return fail('expected s3://bucket/prefix, without a query string or fragment');
  const bucket = match[1]!;
  if (!BUCKET.test(bucket) || bucket.includes('..')) return fail(`${JSON.stringify(bucket)} is not a valid S3 bucket name`);
  const segments = (match[2] ?? '').split('/').filter((segment) => segment !== '');
  if (segments.some((segment) => segment === '.' || segment === '..')) return fail('the prefix may not contain . or .. segments');
  return { bucket, prefix: segments.join('/') };
}

/** `s3://bucket/key` → its parts, or undefined for anything else. */
export function splitS3Uri(uri: string): { bucket: string; key: string } | undefined {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  return match ? { bucket: match[1]!, key: match[2]! } : undefined;
}
