/**
 * Static checks of a Terraform configuration, without Terraform or an AWS
 * account: every .tf file is parsed with HashiCorp's HCL parser (the
 * `@cdktf/hcl2json` WebAssembly build) into HCL's JSON form, where every
 * expression is a "${...}" string, and the checks read that.
 *
 * Every check returns problems (empty = fine), so the tests run the same
 * checks against a deliberately broken configuration and see them fail.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '@cdktf/hcl2json';

type Body = Record<string, unknown>;

export interface Block {
  type: string;
  name: string;
  body: Body;
  file: string;
}

export interface TerraformModule {
  variables: Map<string, Block>;
  resources: Block[];
  data: Block[];
  outputs: Map<string, Block>;
  providers: Block[];
  locals: Body[];
  /** Each file's parsed JSON, for searching references. */
  files: Map<string, unknown>;
}

function blocksOf(section: unknown, file: string, typed: boolean): Block[] {
  if (section === undefined) return [];
  const blocks: Block[] = [];
  for (const [first, value] of Object.entries(section as Record<string, unknown>)) {
    if (typed) {
      for (const [name, bodies] of Object.entries(value as Record<string, Body[]>)) {
        for (const body of bodies) blocks.push({ type: first, name, body, file });
      }
    } else {
      for (const body of value as Body[]) blocks.push({ type: first, name: first, body, file });
    }
  }
  return blocks;
}

/** Parses every `*.tf` file of a directory (not recursively, like `terraform plan`). */
export async function loadTerraform(directory: string): Promise<TerraformModule> {
  const module: TerraformModule = { variables: new Map(), resources: [], data: [], outputs: new Map(), providers: [], locals: [], files: new Map() };
  const files = readdirSync(directory).filter((file) => file.endsWith('.tf')).sort();
  if (files.length === 0) throw new Error(`no .tf files in ${directory}`);
  for (const file of files) {
    const json = (await parse(file, readFileSync(join(directory, file), 'utf8'))) as Record<string, unknown>;
    module.files.set(file, json);
    for (const block of blocksOf(json.variable, file, false)) module.variables.set(block.name, block);
    for (const block of blocksOf(json.output, file, false)) module.outputs.set(block.name, block);
    module.resources.push(...blocksOf(json.resource, file, true));
    module.data.push(...blocksOf(json.data, file, true));
    module.providers.push(...blocksOf(json.provider, file, false));
    module.locals.push(...((json.locals as Body[] | undefined) ?? []));
  }
  return module;
}

/** Every `var.NAME` in expressions, with the file it appears in. */
export function variableReferences(module: TerraformModule): Array<{ name: string; file: string }> {
  const references: Array<{ name: string; file: string }> = [];
  for (const [file, json] of module.files) {
    for (const match of JSON.stringify(json).matchAll(/(?<![\w.])var\.([A-Za-z_][A-Za-z0-9_-]*)/g)) references.push({ name: match[1]!, file });
  }
  return references;
}

/** References to undeclared variables, declared variables nobody uses, variables without a description or type. */
export function variableProblems(module: TerraformModule): string[] {
  const problems: string[] = [];
  const references = variableReferences(module);
  for (const { name, file } of references) {
    if (!module.variables.has(name)) problems.push(`${file}: var.${name} is not declared`);
  }
  const used = new Set(references.map((reference) => reference.name));
  for (const [name, block] of module.variables) {
    if (!used.has(name)) problems.push(`${block.file}: variable ${name} is never used`);
    if (typeof block.body.description !== 'string' || block.body.description.trim() === '') problems.push(`${block.file}: variable ${name} has no description`);
    if (block.body.type === undefined) problems.push(`${block.file}: variable ${name} has no type`);
  }
  return [...new Set(problems)];
}

/**
 * Names that hold secrets: passwords, keys, tokens, connection URLs that carry
 * credentials. Matched at the end of the name (db_password, client_secret,
 * database_url), so secret_recovery_window_days is not one.
 */
export const SECRET_NAME = /(password|passwd|secret|token|api_key|private_key|credentials?|database_url|catalog_url|connection_string|dsn|webhook_url)$/i;

/** A secret must be sensitive and have no default; a sensitive variable must have no default. */
export function secretVariableProblems(module: TerraformModule): string[] {
  const problems: string[] = [];
  for (const [name, block] of module.variables) {
    const sensitive = block.body.sensitive === true;
    const hasDefault = 'default' in block.body;
    if (SECRET_NAME.test(name) && !sensitive) problems.push(`${block.file}: variable ${name} looks like a secret but is not sensitive`);
    if ((sensitive || SECRET_NAME.test(name)) && hasDefault) problems.push(`${block.file}: secret variable ${name} has a default`);
  }
  return problems;
}

/** AWS resource types that take no `tags` argument (the ones this configuration uses, and their usual neighbours). */
export const UNTAGGABLE_TYPES: ReadonlySet<string> = new Set([
  'aws_s3_bucket_ownership_controls',
  'aws_s3_bucket_public_access_block',
  'aws_s3_bucket_versioning',
  'aws_s3_bucket_server_side_encryption_configuration',
  'aws_s3_bucket_lifecycle_configuration',
  'aws_s3_bucket_policy',
  'aws_secretsmanager_secret_version',
  'aws_iam_role_policy',
  'aws_iam_role_policy_attachment',
  'aws_ecr_lifecycle_policy',
  'aws_security_group_rule',
]);

/**
 * Tagging rule of this configuration: the aws provider sets default_tags
 * (Project, Environment, ManagedBy and var.tags), and every taggable resource
 * adds `tags` with at least a Name. A type missing from UNTAGGABLE_TYPES must carry tags.
 */
export function taggingProblems(module: TerraformModule): string[] {
  const problems: string[] = [];
  const aws = module.providers.filter((provider) => provider.type === 'aws');
  if (aws.length === 0) problems.push('no aws provider block');
  for (const provider of aws) {
    const defaults = JSON.stringify(provider.body.default_tags ?? null);
    if (!/"tags":/.test(defaults) || !defaults.includes('var.tags')) problems.push(`${provider.file}: provider aws has no default_tags built from var.tags`);
  }
  for (const resource of module.resources) {
    if (!resource.type.startsWith('aws_') || UNTAGGABLE_TYPES.has(resource.type)) continue;
    const tags = resource.body.tags;
    if (tags === undefined) problems.push(`${resource.file}: ${resource.type}.${resource.name} has no tags`);
    else if (typeof tags !== 'object' || tags === null || !('Name' in tags)) problems.push(`${resource.file}: ${resource.type}.${resource.name} tags have no Name`);
  }
  return problems;
}

const referencesResource = (value: unknown, type: string, name: string) => typeof value === 'string' && value.includes(`${type}.${name}.`);

/**
 * Every bucket is private and encrypted: a public access block with all four
 * switches true, ownership enforced (no ACLs), default encryption, versioning on.
 */
export function bucketProblems(module: TerraformModule): string[] {
  const problems: string[] = [];
  const companions = (type: string, bucket: Block) => module.resources.filter((resource) => resource.type === type && referencesResource(resource.body.bucket, 'aws_s3_bucket', bucket.name));
  for (const bucket of module.resources.filter((resource) => resource.type === 'aws_s3_bucket')) {
    const label = `aws_s3_bucket.${bucket.name}`;
    const blocks = companions('aws_s3_bucket_public_access_block', bucket);
    if (blocks.length === 0) problems.push(`${label} has no public access block`);
    for (const block of blocks) {
      for (const key of ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets']) {
        if (block.body[key] !== true) problems.push(`${label}: public access block ${key} is not true`);
      }
    }
    const ownership = companions('aws_s3_bucket_ownership_controls', bucket);
    if (!JSON.stringify(ownership.map((block) => block.body)).includes('"BucketOwnerEnforced"')) problems.push(`${label}: object ownership is not BucketOwnerEnforced`);
    if (companions('aws_s3_bucket_server_side_encryption_configuration', bucket).length === 0) problems.push(`${label} has no default encryption`);
    const versioning = companions('aws_s3_bucket_versioning', bucket);
    if (!JSON.stringify(versioning.map((block) => block.body)).includes('"status":"Enabled"')) problems.push(`${label}: versioning is not enabled`);
  }
  return problems;
}

interface Statement {
  sid?: string;
  effect?: string;
  actions?: string[];
  resources?: string[];
  condition?: Array<{ test?: string; variable?: string; values?: string[] }>;
}

/** Statements of a policy document, dynamic ones included. */
function statementsOf(document: Block): Statement[] {
  const direct = (document.body.statement as Statement[] | undefined) ?? [];
  const dynamic = ((document.body.dynamic as { statement?: Array<{ content?: Statement[] }> } | undefined)?.statement ?? []).flatMap((block) => block.content ?? []);
  return [...direct, ...dynamic];
}

const S3_OBJECT_ACTIONS = new Set(['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload']);

/**
 * Least privilege in S3: allowed object actions only under a prefix of a bucket
 * (`<bucket arn>/<prefix>/*`, never the whole bucket or `*`), ListBucket only
 * with an s3:prefix condition, no `*` or `s3:*` actions, nothing but the
 * listed object actions. Every inline policy must come from an
 * aws_iam_policy_document, so that this check sees it.
 */
export function iamProblems(module: TerraformModule): string[] {
  const problems: string[] = [];
  for (const resource of module.resources.filter((candidate) => ['aws_iam_role_policy', 'aws_iam_policy'].includes(candidate.type))) {
    if (!/^\$\{data\.aws_iam_policy_document\.[\w-]+\.json\}$/.test(String(resource.body.policy))) {
      problems.push(`${resource.type}.${resource.name}: policy is not an aws_iam_policy_document, so it cannot be checked`);
    }
  }
  for (const document of module.data.filter((block) => block.type === 'aws_iam_policy_document')) {
    for (const statement of statementsOf(document)) {
      if ((statement.effect ?? 'Allow') !== 'Allow') continue;
      const label = `aws_iam_policy_document.${document.name}${statement.sid ? ` (${statement.sid})` : ''}`;
      const actions = statement.actions ?? [];
      const resources = statement.resources ?? [];
      if (actions.some((action) => action === '*' || /^[a-z0-9-]+:\*$/.test(action))) problems.push(`${label}: allows a wildcard action`);
      const s3Actions = actions.filter((action) => action.toLowerCase().startsWith('s3:'));
      if (s3Actions.length === 0) continue;
      if (resources.includes('*')) problems.push(`${label}: allows S3 actions on every resource`);
      for (const action of s3Actions) {
        if (S3_OBJECT_ACTIONS.has(action)) {
          for (const resource of resources) {
            // <bucket arn>/<something that is not a wildcard>/*
            if (!/^(\$\{[^}]+\.arn\}|arn:aws:s3:::[a-z0-9.-]+)\/[^*]+\/\*$/.test(resource)) problems.push(`${label}: ${action} on ${resource}, not limited to a prefix`);
          }
        } else if (action === 's3:ListBucket') {
          const prefixCondition = (statement.condition ?? []).some((condition) => condition.variable === 's3:prefix' && condition.test?.startsWith('String') && !condition.test.endsWith('IfExists') && (condition.values ?? []).every((value) => !value.startsWith('*')));
          if (!prefixCondition) problems.push(`${label}: s3:ListBucket without an s3:prefix condition`);
        } else {
          problems.push(`${label}: ${action} is not one of the lake's object actions`);
        }
      }
    }
  }
  return problems;
}

/** Keys a .tfvars file assigns at the top level. */
export async function tfvarsKeys(path: string): Promise<string[]> {
  const json = (await parse('example.tfvars', readFileSync(path, 'utf8'))) as Record<string, unknown>;
  return Object.keys(json);
}
