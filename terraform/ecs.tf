# The daemon on ECS Fargate: one task streaming the replication slot into the
# lake, restarted by ECS if it exits or fails its health check.

locals {
  container_name = "invoice-lake"
  image          = var.container_image != null ? var.container_image : "${aws_ecr_repository.invoice_lake.repository_url}:${coalesce(var.image_tag, "missing-image-tag")}"

  # Plain settings (README "Settings"); DATABASE_URL comes from Secrets Manager.
  # AWS credentials come from the task role through the SDK's default chain.
  environment = merge(var.extra_environment, {
    LAKE           = local.lake_uri
    AWS_REGION     = var.aws_region
    HTTP_PORT      = tostring(var.http_port)
    LOG_LEVEL      = var.log_level
    LAKE_CACHE_DIR = "/var/cache/invoice-lake"
  })
}

resource "aws_cloudwatch_log_group" "invoice_lake" {
  name              = "/ecs/${local.name}"
  retention_in_days = var.log_retention_days

  tags = {
    Name = "/ecs/${local.name}"
  }
}

resource "aws_ecs_cluster" "invoice_lake" {
  name = local.name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }

  tags = {
    Name = local.name
  }
}

resource "aws_ecs_task_definition" "invoice_lake" {
  family                   = local.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.task_cpu
  memory                   = var.task_memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  container_definitions = jsonencode([
    {
      name      = local.container_name
      image     = local.image
      essential = true
      # The image's CMD is ["run"]: the daemon.

      portMappings = [{
        containerPort = var.http_port
        protocol      = "tcp"
      }]

      environment = [for name in sort(keys(local.environment)) : { name = name, value = local.environment[name] }]

      secrets = [{
        name      = "DATABASE_URL"
        valueFrom = aws_secretsmanager_secret.database_url.arn
      }]

      # 200 from GET /healthz while streaming; 503 while starting or reconnecting.
      healthCheck = {
        command     = ["CMD", "node", "-e", "fetch('http://127.0.0.1:${var.http_port}/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
        interval    = 15
        timeout     = 5
        retries     = 3
        startPeriod = 60
      }

      # SIGTERM makes the daemon finish the open transaction, commit and
      # acknowledge; 120 s is Fargate's maximum before SIGKILL.
      stopTimeout = 120

      logConfiguration = {
        logDriver = "awslogs"
        options = {
          "awslogs-group"         = aws_cloudwatch_log_group.invoice_lake.name
          "awslogs-region"        = var.aws_region
          "awslogs-stream-prefix" = "daemon"
        }
      }
    }
  ])

  tags = {
    Name = local.name
  }

  lifecycle {
    precondition {
      condition     = var.container_image != null || var.image_tag != null
      error_message = "Set image_tag (an image pushed to the ECR repository created here) or container_image."
    }
  }
}

resource "aws_ecs_service" "invoice_lake" {
  name                   = local.name
  cluster                = aws_ecs_cluster.invoice_lake.id
  task_definition        = aws_ecs_task_definition.invoice_lake.arn
  desired_count          = var.desired_count
  launch_type            = "FARGATE"
  enable_execute_command = var.enable_execute_command
  propagate_tags         = "SERVICE"

  # One slot, one consumer: stop the old task before starting the new one
  # (a second consumer would fail with "replication slot is active").
  deployment_minimum_healthy_percent = 0
  deployment_maximum_percent         = 100

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [aws_security_group.task.id]
    assign_public_ip = var.assign_public_ip
  }

  tags = {
    Name = local.name
  }

  depends_on = [
    aws_iam_role_policy.task_lake,
    aws_iam_role_policy.execution_secrets,
    aws_iam_role_policy_attachment.execution,
    aws_secretsmanager_secret_version.database_url,
  ]
}
