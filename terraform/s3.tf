# The lake bucket: private, encrypted, versioned. Iceberg never overwrites a
# committed file (every commit writes new data, manifest and metadata files),
# so versioning costs little and makes an accidental delete recoverable.

resource "aws_s3_bucket" "lake" {
  bucket        = var.lake_bucket_name
  force_destroy = var.lake_bucket_force_destroy

  tags = {
    Name = var.lake_bucket_name
  }
}

resource "aws_s3_bucket_ownership_controls" "lake" {
  bucket = aws_s3_bucket.lake.id

  rule {
    # ACLs disabled: the bucket owner owns every object, access is IAM only.
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "lake" {
  bucket = aws_s3_bucket.lake.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "lake" {
  bucket = aws_s3_bucket.lake.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "lake" {
  bucket = aws_s3_bucket.lake.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.lake_kms_key_arn == null ? "AES256" : "aws:kms"
      kms_master_key_id = var.lake_kms_key_arn
    }
    bucket_key_enabled = var.lake_kms_key_arn != null
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "lake" {
  bucket = aws_s3_bucket.lake.id

  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.lake_noncurrent_version_days
    }
  }

  rule {
    # A daemon killed during a multipart upload leaves its parts behind.
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.lake]
}

# TLS only, for every principal.
data "aws_iam_policy_document" "lake_bucket" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.lake.arn,
      "${aws_s3_bucket.lake.arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "lake" {
  bucket = aws_s3_bucket.lake.id
  policy = data.aws_iam_policy_document.lake_bucket.json

  # The public access block must exist first, or a policy could be public for a moment.
  depends_on = [aws_s3_bucket_public_access_block.lake]
}
