# Network access of the daemon: all egress (the source database, S3, ECR,
# Secrets Manager and CloudWatch Logs endpoints), ingress only to /metrics and
# /healthz from the listed CIDR blocks, and optionally a rule on the source
# database's security group letting the daemon in.

resource "aws_security_group" "task" {
  name_prefix = "${local.name}-task-"
  description = "invoice-lake daemon (${var.environment})"
  vpc_id      = var.vpc_id

  tags = {
    Name = "${local.name}-task"
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_egress_rule" "task_all" {
  security_group_id = aws_security_group.task.id
  description       = "Source database, S3, ECR, Secrets Manager, CloudWatch Logs"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"

  tags = {
    Name = "${local.name}-task-egress"
  }
}

resource "aws_vpc_security_group_ingress_rule" "task_metrics" {
  for_each = toset(var.metrics_ingress_cidr_blocks)

  security_group_id = aws_security_group.task.id
  description       = "Prometheus /metrics and /healthz"
  ip_protocol       = "tcp"
  from_port         = var.http_port
  to_port           = var.http_port
  cidr_ipv4         = each.value

  tags = {
    Name = "${local.name}-metrics-${each.value}"
  }
}

resource "aws_vpc_security_group_ingress_rule" "source_db_from_task" {
  count = var.source_db_security_group_id == null ? 0 : 1

  security_group_id            = var.source_db_security_group_id
  description                  = "invoice-lake daemon (${var.environment}): replication and catalog"
  ip_protocol                  = "tcp"
  from_port                    = var.db_port
  to_port                      = var.db_port
  referenced_security_group_id = aws_security_group.task.id

  tags = {
    Name = "${local.name}-to-source-db"
  }
}
