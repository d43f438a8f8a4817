output "lake_bucket" {
  description = "Name of the lake bucket."
  value       = aws_s3_bucket.lake.bucket
}

output "lake_uri" {
  description = "LAKE of the daemon, and the warehouse of Trino, Spark or PyIceberg: s3://<bucket>/<prefix>."
  value       = local.lake_uri
}

output "ecr_repository_url" {
  description = "Push the image here: docker push <url>:<tag>."
  value       = aws_ecr_repository.invoice_lake.repository_url
}

output "ecs_cluster_name" {
  description = "ECS cluster running the daemon."
  value       = aws_ecs_cluster.invoice_lake.name
}

output "ecs_service_name" {
  description = "ECS service of the daemon (aws ecs update-service --force-new-deployment to restart it)."
  value       = aws_ecs_service.invoice_lake.name
}

output "log_group_name" {
  description = "CloudWatch log group of the daemon's JSON logs."
  value       = aws_cloudwatch_log_group.invoice_lake.name
}

output "db_parameter_group_name" {
  description = "Attach to the source RDS instance, then reboot it: turns on logical replication."
  value       = aws_db_parameter_group.source.name
}

output "task_security_group_id" {
  description = "Security group of the daemon; allow it into the source database on its port."
  value       = aws_security_group.task.id
}

output "task_role_arn" {
  description = "IAM role of the daemon (read and write under the lake prefix only)."
  value       = aws_iam_role.task.arn
}

output "database_url_secret_arn" {
  description = "Secrets Manager secret holding DATABASE_URL (rotate the password: put a new version, then restart the service)."
  value       = aws_secretsmanager_secret.database_url.arn
}

output "task_definition_arn" {
  description = "Task definition of the daemon; run one-off commands with it (aws ecs run-task ... --overrides command [\"setup\"])."
  value       = aws_ecs_task_definition.invoice_lake.arn
}
