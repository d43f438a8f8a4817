# Image repository. Create it first, push, then apply the rest:
#   terraform apply -target=aws_ecr_repository.invoice_lake
#   docker build -t <repository_url>:<tag> .. && docker push <repository_url>:<tag>
#   terraform apply -var image_tag=<tag>

resource "aws_ecr_repository" "invoice_lake" {
  name                 = local.name
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "AES256"
  }

  tags = {
    Name = local.name
  }
}

resource "aws_ecr_lifecycle_policy" "invoice_lake" {
  repository = aws_ecr_repository.invoice_lake.name

  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Keep the 20 most recent images"
      selection = {
        tagStatus   = "any"
        countType   = "imageCountMoreThan"
        countNumber = 20
      }
      action = { type = "expire" }
    }]
  })
}
