# Parameter group for the source RDS for PostgreSQL instance (for Aurora
# PostgreSQL the same parameter belongs in a DB cluster parameter group). Logical decoding needs rds.logical_replication = 1, which sets
# wal_level = logical; it is static, so it applies at the next reboot. This
# configuration does not manage the database itself: attach the group to your
# instance (parameter_group_name) and reboot it.
# https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/PostgreSQL.Concepts.General.FeatureSupport.LogicalReplication.html

resource "aws_db_parameter_group" "source" {
  name_prefix = "${local.name}-source-"
  family      = var.db_parameter_group_family
  description = "invoice-lake source: logical replication for the pgoutput slot"

  parameter {
    name         = "rds.logical_replication"
    value        = "1"
    apply_method = "pending-reboot"
  }

  tags = {
    Name = "${local.name}-source"
  }

  lifecycle {
    create_before_destroy = true
  }
}
