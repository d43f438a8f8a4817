# invoice-lake on AWS: the daemon on ECS Fargate, the lake in S3, the source
# database URL in Secrets Manager, and the RDS parameter group that turns on
# logical replication for the source. See README.md ("Deploy") for the steps.
#
# State: configure a remote backend (S3 with locking) for anything shared; a
# local state file holds the database URL in clear text.

terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.60, < 7.0"
    }
  }
}
