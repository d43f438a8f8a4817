# Provider, shared names and the values several files use.

provider "aws" {
  region = var.aws_region

  # Tags every taggable resource gets; each resource adds its own Name.
  default_tags {
    tags = merge(var.tags, {
      Project     = "invoice-lake"
      Environment = var.environment
      ManagedBy   = "terraform"
    })
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  name       = "${var.name}-${var.environment}"
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  # s3://bucket/prefix, what the daemon's LAKE setting receives.
  lake_uri = "s3://${aws_s3_bucket.lake.bucket}/${var.lake_prefix}"
}
