# DATABASE_URL holds a password: it lives in Secrets Manager and reaches the
# container through the task definition's `secrets`, never as plain environment
# in the task definition. The value is also in the Terraform state: protect it.

resource "aws_secretsmanager_secret" "database_url" {
  name_prefix             = "${local.name}/database-url-"
  description             = "DATABASE_URL of invoice-lake (${var.environment}): the source PostgreSQL and its Iceberg JDBC catalog."
  recovery_window_in_days = var.secret_recovery_window_days

  tags = {
    Name = "${local.name}-database-url"
  }
}

resource "aws_secretsmanager_secret_version" "database_url" {
  secret_id     = aws_secretsmanager_secret.database_url.id
  secret_string = var.database_url
}
