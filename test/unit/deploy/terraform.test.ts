/**
 * terraform/ parsed with HashiCorp's HCL parser and checked without Terraform
 * or an AWS account: declared and used variables, secrets, tags, a private
 * bucket, least-privilege IAM, and the daemon's task definition.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { SETTINGS } from '../../../src/config/settings.ts';
import {
  bucketProblems,
  iamProblems,
  loadTerraform,
  secretVariableProblems,
  taggingProblems,
  tfvarsKeys,
  variableProblems,
  type Block,
  type TerraformModule,
} from './terraform-checks.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const TERRAFORM = join(ROOT, 'terraform');
const KNOWN_VARIABLES = new Set([...Object.values(SETTINGS).map((spec) => spec.env), 'AWS_REGION']);

let module: TerraformModule;
let broken: TerraformModule;

beforeAll(async () => {
  module = await loadTerraform(TERRAFORM);
  broken = await loadTerraform(join(ROOT, 'test/unit/deploy/fixtures/broken-terraform'));
});

const sorted = (items: string[]) => [...items].sort();

function resource(type: string, name: string): Block {
  const found = module.resources.find((candidate) => candidate.type === type && candidate.name === name);
  if (!found) throw new Error(`no resource ${type}.${name}`);
  return found;
}

describe('terraform/', () => {
  it('parses every file', () => {
    expect([...module.files.keys()]).toEqual(
      expect.arrayContaining(['versions.tf', 'main.tf', 'variables.tf', 's3.tf', 'iam.tf', 'ecs.tf', 'secrets.tf', 'rds.tf', 'security.tf', 'outputs.tf']),
    );
    const versions = module.files.get('versions.tf') as { terraform: Array<{ required_providers: Array<{ aws: { source: string; version: string } }> }> };
    const aws = versions.terraform[0]!.required_providers[0]!.aws;
    expect(aws.source).toBe('hashicorp/aws');
    expect(aws.version).toMatch(/^>= 5\.\d+, < \d+\.0$/);
  });

  it('declares every variable it uses, uses every variable it declares, documents and types each', () => {
    expect(variableProblems(module)).toEqual([]);
    expect(module.variables.size).toBeGreaterThan(20);
  });

  it('gives no secret a default and marks every secret sensitive', () => {
    expect(secretVariableProblems(module)).toEqual([]);
    const databaseUrl = module.variables.get('database_url')!.body;
    expect(databaseUrl.sensitive).toBe(true);
    expect(databaseUrl).not.toHaveProperty('default');
  });

  it('tags every taggable resource, on top of the provider default_tags', () => {
    expect(taggingProblems(module)).toEqual([]);
  });

  it('keeps the lake bucket private, encrypted and versioned', () => {
    expect(bucketProblems(module)).toEqual([]);
    expect(JSON.stringify(resource('aws_s3_bucket_lifecycle_configuration', 'lake').body)).toContain('abort_incomplete_multipart_upload');
  });

  it('lets the daemon touch only objects under the lake prefix', () => {
    expect(iamProblems(module)).toEqual([]);
    const document = module.data.find((block) => block.type === 'aws_iam_policy_document' && block.name === 'task_lake')!;
    const statements = document.body.statement as Array<{ sid: string; actions: string[]; resources: string[] }>;
    expect(statements.find((statement) => statement.sid === 'LakeObjects')).toMatchObject({
      actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
      resources: ['${aws_s3_bucket.lake.arn}/${var.lake_prefix}/*'],
    });
    expect(resource('aws_iam_role', 'task').body.assume_role_policy).toBe('${data.aws_iam_policy_document.ecs_tasks_assume.json}');
  });

  it('stores DATABASE_URL in Secrets Manager and lets only the execution role read it', () => {
    expect(resource('aws_secretsmanager_secret_version', 'database_url').body.secret_string).toBe('${var.database_url}');
    const readers = module.data.filter((block) => JSON.stringify(block.body).includes('aws_secretsmanager_secret.database_url.arn'));
    expect(readers.map((block) => block.name)).toEqual(['execution_secrets']);
  });

  it('turns on logical replication in the RDS parameter group at the next reboot', () => {
    const group = resource('aws_db_parameter_group', 'source').body;
    expect(group.family).toBe('${var.db_parameter_group_family}');
    expect(group.parameter).toEqual([{ name: 'rds.logical_replication', value: '1', apply_method: 'pending-reboot' }]);
  });

  it('runs one daemon on Fargate with the lake on S3, the secret injected and logs retained', () => {
    const task = resource('aws_ecs_task_definition', 'invoice_lake').body;
    expect(task.requires_compatibilities).toEqual(['FARGATE']);
    expect(task.network_mode).toBe('awsvpc');
    const containers = String(task.container_definitions);
    expect(containers).toMatch(/name\s*=\s*"DATABASE_URL"\s*valueFrom\s*=\s*aws_secretsmanager_secret\.database_url\.arn/);
    expect(containers).toContain('/healthz');
    expect(containers).toContain('awslogs-group');
    expect(containers).toMatch(/stopTimeout\s*=\s*120/);
    expect(resource('aws_cloudwatch_log_group', 'invoice_lake').body.retention_in_days).toBe('${var.log_retention_days}');

    const service = resource('aws_ecs_service', 'invoice_lake').body;
    expect(service.launch_type).toBe('FARGATE');
    expect(service.deployment_maximum_percent).toBe(100);
    expect(service.deployment_minimum_healthy_percent).toBe(0);
    expect(service.network_configuration).toEqual([
      { subnets: '${var.subnet_ids}', security_groups: ['${aws_security_group.task.id}'], assign_public_ip: '${var.assign_public_ip}' },
    ]);
    expect(JSON.stringify(module.variables.get('desired_count')!.body.validation)).toContain('contains([0, 1], var.desired_count)');
  });

  it('passes the daemon only real settings, LAKE as s3://bucket/prefix', () => {
    const locals = Object.assign({}, ...module.locals) as Record<string, string>;
    expect(locals.lake_uri).toBe('s3://${aws_s3_bucket.lake.bucket}/${var.lake_prefix}');
    const names = [...locals.environment!.matchAll(/^\s*([A-Z][A-Z0-9_]*)\s*=/gm)].map((match) => match[1]!);
    expect(names).toEqual(expect.arrayContaining(['LAKE', 'AWS_REGION', 'HTTP_PORT']));
    expect(names.filter((name) => !KNOWN_VARIABLES.has(name))).toEqual([]);
    expect(locals.environment).toMatch(/LAKE\s*=\s*local\.lake_uri/);
    expect(locals.environment).not.toContain('DATABASE_URL');
  });

  it('outputs what an operator needs', () => {
    expect([...module.outputs.keys()]).toEqual(
      expect.arrayContaining(['lake_bucket', 'lake_uri', 'ecs_service_name', 'log_group_name', 'db_parameter_group_name', 'ecr_repository_url']),
    );
    for (const [name, output] of module.outputs) expect(output.body.description, name).toEqual(expect.any(String));
  });

  it('has an example tfvars with every required input but no secret', async () => {
    const keys = await tfvarsKeys(join(TERRAFORM, 'terraform.tfvars.example'));
    for (const key of keys) expect(module.variables.has(key), key).toBe(true);
    const required = [...module.variables].filter(([, block]) => !('default' in block.body) && block.body.sensitive !== true).map(([name]) => name);
    expect(keys).toEqual(expect.arrayContaining(required));
    const secrets = [...module.variables].filter(([, block]) => block.body.sensitive === true).map(([name]) => name);
    expect(secrets).toEqual(['database_url']);
    for (const secret of secrets) expect(keys).not.toContain(secret);
  });

  it('keeps state, plans and real tfvars out of version control', () => {
    const ignored = readFileSync(join(TERRAFORM, '.gitignore'), 'utf8');
    for (const pattern of ['.terraform/', '*.tfstate', '*.tfstate.*', '*.tfvars', '!*.tfvars.example']) expect(ignored).toContain(pattern);
  });
});

describe('the checks fail on a broken configuration', () => {
  it('reports undeclared, unused and undocumented variables', () => {
    expect(sorted(variableProblems(broken))).toEqual(sorted([
      'main.tf: var.bucket_name is not declared',
      'main.tf: variable aws_region has no description',
      'main.tf: variable db_password is never used',
      'main.tf: variable api_token is never used',
      'main.tf: variable unused is never used',
    ]));
  });

  it('reports secrets with defaults and secrets not marked sensitive', () => {
    expect(sorted(secretVariableProblems(broken))).toEqual(sorted([
      'main.tf: variable db_password looks like a secret but is not sensitive',
      'main.tf: secret variable db_password has a default',
      'main.tf: secret variable api_token has a default',
    ]));
  });

  it('reports missing default_tags, resources without tags or without a Name', () => {
    expect(sorted(taggingProblems(broken))).toEqual(sorted([
      'main.tf: provider aws has no default_tags built from var.tags',
      'main.tf: aws_s3_bucket.data has no tags',
      'main.tf: aws_iam_role.task tags have no Name',
    ]));
  });

  it('reports a bucket that could be public, is not encrypted or versioned', () => {
    expect(sorted(bucketProblems(broken))).toEqual(sorted([
      'aws_s3_bucket.data: public access block block_public_policy is not true',
      'aws_s3_bucket.data: object ownership is not BucketOwnerEnforced',
      'aws_s3_bucket.data has no default encryption',
      'aws_s3_bucket.data: versioning is not enabled',
    ]));
  });

  it('reports wildcard S3 access, whole-bucket objects, unconditioned listing and uncheckable inline policies', () => {
    expect(sorted(iamProblems(broken))).toEqual(sorted([
      'aws_iam_role_policy.inline: policy is not an aws_iam_policy_document, so it cannot be checked',
      'aws_iam_policy_document.task (Everything): allows a wildcard action',
      'aws_iam_policy_document.task (Everything): allows S3 actions on every resource',
      'aws_iam_policy_document.task (Everything): s3:* is not one of the lake\'s object actions',
      'aws_iam_policy_document.task (WholeBucket): s3:GetObject on ${aws_s3_bucket.data.arn}/*, not limited to a prefix',
      'aws_iam_policy_document.task (WholeBucket): s3:PutObject on ${aws_s3_bucket.data.arn}/*, not limited to a prefix',
      'aws_iam_policy_document.task (ListAll): s3:ListBucket without an s3:prefix condition',
    ]));
  });
});
