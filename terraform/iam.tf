# Two roles, as ECS separates them:
# - the execution role: what ECS itself needs to start the task (pull the image,
#   write logs, read the DATABASE_URL secret);
# - the task role: what the daemon may do, i.e. read and write objects under the
#   lake prefix, and nothing else in S3.

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }

    # Only tasks of this account (confused-deputy protection).
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

# --- execution role --------------------------------------------------------------

resource "aws_iam_role" "execution" {
  name_prefix        = "${var.name}-exec-"
  description        = "ECS task execution role of invoice-lake (${var.environment})"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json

  tags = {
    Name = "${local.name}-execution"
  }
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

data "aws_iam_policy_document" "execution_secrets" {
  statement {
    sid       = "ReadDatabaseUrl"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [aws_secretsmanager_secret.database_url.arn]
  }
}

resource "aws_iam_role_policy" "execution_secrets" {
  name   = "read-database-url"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution_secrets.json
}

# --- task role -------------------------------------------------------------------

data "aws_iam_policy_document" "task_lake" {
  statement {
    sid = "LakeObjects"
    actions = [
      "s3:GetObject",
      "s3:PutObject",
      "s3:DeleteObject",
      "s3:AbortMultipartUpload",
    ]
    resources = ["${aws_s3_bucket.lake.arn}/${var.lake_prefix}/*"]
  }

  statement {
    sid       = "ListLakePrefix"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.lake.arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = [var.lake_prefix, "${var.lake_prefix}/*"]
    }
  }

  dynamic "statement" {
    for_each = var.lake_kms_key_arn == null ? [] : [var.lake_kms_key_arn]

    content {
      sid       = "LakeKmsKey"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [statement.value]
    }
  }

  dynamic "statement" {
    # ECS Exec's channel; these actions have no resource-level permissions.
    for_each = var.enable_execute_command ? [1] : []

    content {
      sid = "EcsExec"
      actions = [
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
      ]
      resources = ["*"]
    }
  }
}

resource "aws_iam_role" "task" {
  name_prefix        = "${var.name}-task-"
  description        = "Task role of invoice-lake (${var.environment}): objects under s3://${var.lake_bucket_name}/${var.lake_prefix}/ only"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json

  tags = {
    Name = "${local.name}-task"
  }
}

resource "aws_iam_role_policy" "task_lake" {
  name   = "lake-prefix-read-write"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task_lake.json
}
