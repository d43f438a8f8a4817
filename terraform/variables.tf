# Inputs. Secrets have no default and are marked sensitive: pass them with
# TF_VAR_database_url or a *.tfvars file kept out of version control.

# --- where -------------------------------------------------------------------

variable "aws_region" {
  description = "AWS region of every resource (and the AWS_REGION the daemon gets)."
  type        = string
}

variable "name" {
  description = "Name prefix of every resource; the environment is appended (invoice-lake-production)."
  type        = string
  default     = "invoice-lake"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 lower-case letters, digits or dashes, starting with a letter."
  }
}

variable "environment" {
  description = "Environment name (production, staging, ...), used in names and the Environment tag."
  type        = string
  default     = "production"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,15}$", var.environment))
    error_message = "environment must be 1-16 lower-case letters, digits or dashes, starting with a letter."
  }
}

variable "tags" {
  description = "Extra tags for every resource (added to the provider's default_tags)."
  type        = map(string)
  default     = {}
}

# --- the lake ------------------------------------------------------------------

variable "lake_bucket_name" {
  description = "Name of the S3 bucket created for the lake (globally unique)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.lake_bucket_name))
    error_message = "lake_bucket_name must be a valid S3 bucket name."
  }
}

variable "lake_prefix" {
  description = "Key prefix of the lake inside the bucket, without slashes at either end (LAKE=s3://<bucket>/<prefix>). The task role may touch only keys under it."
  type        = string
  default     = "lake"

  validation {
    condition     = can(regex("^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*$", var.lake_prefix))
    error_message = "lake_prefix must be non-empty, without a leading or trailing slash."
  }
}

variable "lake_kms_key_arn" {
  description = "KMS key for SSE-KMS on the lake bucket; null uses SSE-S3 (AES256)."
  type        = string
  default     = null
}

variable "lake_noncurrent_version_days" {
  description = "Days a replaced or deleted object version is kept (versioning is on: a bad commit can be undone)."
  type        = number
  default     = 30

  validation {
    condition     = var.lake_noncurrent_version_days >= 1
    error_message = "lake_noncurrent_version_days must be at least 1."
  }
}

variable "lake_bucket_force_destroy" {
  description = "Allow terraform destroy to delete a non-empty lake bucket. Keep false in production."
  type        = bool
  default     = false
}

# --- the source database -------------------------------------------------------

variable "database_url" {
  description = "Source PostgreSQL connection URL for DATABASE_URL, e.g. postgres://invoice_lake:<password>@<rds-endpoint>:5432/invoices?sslmode=require. Stored in Secrets Manager and injected into the task; the Iceberg JDBC catalog lives in the same database unless CATALOG_URL is set."
  type        = string
  sensitive   = true

  validation {
    condition     = can(regex("^postgres(ql)?://", var.database_url))
    error_message = "database_url must be a postgres:// or postgresql:// URL."
  }
}

variable "secret_recovery_window_days" {
  description = "Days Secrets Manager keeps a deleted secret recoverable (0 deletes at once)."
  type        = number
  default     = 7
}

variable "db_parameter_group_family" {
  description = "RDS parameter group family of the source database (postgres16, postgres17, ...)."
  type        = string
  default     = "postgres17"
}

variable "source_db_security_group_id" {
  description = "Security group of the source database; when set, it gets an ingress rule from the daemon on db_port. Null: manage database access yourself."
  type        = string
  default     = null
}

variable "db_port" {
  description = "Port of the source database."
  type        = number
  default     = 5432
}

# --- the service ---------------------------------------------------------------

variable "vpc_id" {
  description = "VPC of the task's security group."
  type        = string
}

variable "subnet_ids" {
  description = "Subnets of the Fargate task (private subnets with a NAT gateway or VPC endpoints for ECR, S3, Secrets Manager and CloudWatch Logs)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) > 0
    error_message = "subnet_ids must name at least one subnet."
  }
}

variable "assign_public_ip" {
  description = "Give the task a public IP (public subnets without NAT only)."
  type        = bool
  default     = false
}

variable "image_tag" {
  description = "Tag of the invoice-lake image in the ECR repository created here (pushed after `terraform apply -target=aws_ecr_repository.invoice_lake`)."
  type        = string
  default     = null
}

variable "container_image" {
  description = "Full image reference (registry/repository:tag or @digest); overrides the ECR repository and image_tag."
  type        = string
  default     = null
}

variable "cpu_architecture" {
  description = "X86_64 or ARM64, matching the image's platform."
  type        = string
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.cpu_architecture)
    error_message = "cpu_architecture must be X86_64 or ARM64."
  }
}

variable "task_cpu" {
  description = "Fargate task CPU units (1024 = 1 vCPU)."
  type        = number
  default     = 1024
}

variable "task_memory" {
  description = "Fargate task memory in MiB."
  type        = number
  default     = 2048
}

variable "desired_count" {
  description = "Running daemons: 1, or 0 to pause streaming (WAL then accumulates in the slot). A logical replication slot has one consumer at a time, so never more than 1."
  type        = number
  default     = 1

  validation {
    condition     = contains([0, 1], var.desired_count)
    error_message = "desired_count must be 0 or 1: one replication slot, one consumer."
  }
}

variable "http_port" {
  description = "HTTP_PORT of the daemon: /healthz and /metrics."
  type        = number
  default     = 9464
}

variable "metrics_ingress_cidr_blocks" {
  description = "CIDR blocks allowed to reach /metrics and /healthz on http_port (a Prometheus scraper); empty: none."
  type        = list(string)
  default     = []
}

variable "log_level" {
  description = "LOG_LEVEL of the daemon: fatal, error, warn, info or debug."
  type        = string
  default     = "info"

  validation {
    condition     = contains(["fatal", "error", "warn", "info", "debug"], var.log_level)
    error_message = "log_level must be fatal, error, warn, info or debug."
  }
}

variable "extra_environment" {
  description = "More non-secret settings for the daemon (README \"Settings\"), e.g. { BATCH_MAX_ROWS = \"50000\" }. Secrets do not belong here."
  type        = map(string)
  default     = {}
}

variable "log_retention_days" {
  description = "Retention of the daemon's CloudWatch log group, in days."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "enable_execute_command" {
  description = "Allow `aws ecs execute-command` into the running task (debugging)."
  type        = bool
  default     = false
}
