resource "aws_glue_workflow" "orders" {
  name        = "${var.prefix}-orders-${var.stage}"
  description = "Crawl the landed orders, curate them, report, archive"
}

resource "aws_glue_trigger" "start" {
  name          = "${var.prefix}-orders-start-${var.stage}"
  type          = "ON_DEMAND"
  workflow_name = aws_glue_workflow.orders.name

  actions {
    crawler_name = aws_glue_crawler.raw_orders.name
  }
}

resource "aws_glue_trigger" "landed" {
  name          = "${var.prefix}-orders-landed-${var.stage}"
  type          = "CONDITIONAL"
  workflow_name = aws_glue_workflow.orders.name

  predicate {
    conditions {
      crawler_name = aws_glue_crawler.raw_orders.name
      crawl_state  = "SUCCEEDED"
    }
  }

  actions {
    job_name = aws_glue_job.spark["clean-orders"].name
  }

  actions {
    job_name = aws_glue_job.spark["orders-by-channel"].name
  }
}

resource "aws_glue_trigger" "curated" {
  name          = "${var.prefix}-orders-curated-${var.stage}"
  type          = "CONDITIONAL"
  workflow_name = aws_glue_workflow.orders.name

  predicate {
    conditions {
      job_name = aws_glue_job.spark["clean-orders"].name
      state    = "SUCCEEDED"
    }
  }

  actions {
    crawler_name = aws_glue_crawler.curated_orders.name
  }
}

resource "aws_glue_trigger" "report" {
  name          = "${var.prefix}-orders-report-${var.stage}"
  type          = "CONDITIONAL"
  workflow_name = aws_glue_workflow.orders.name

  predicate {
    logical = "AND"

    conditions {
      crawler_name = aws_glue_crawler.curated_orders.name
      crawl_state  = "SUCCEEDED"
    }

    conditions {
      job_name = aws_glue_job.spark["orders-by-channel"].name
      state    = "SUCCEEDED"
    }
  }

  actions {
    job_name = aws_glue_job.spark["daily-revenue"].name
  }
}

resource "aws_glue_trigger" "archive" {
  name          = "${var.prefix}-orders-archive-${var.stage}"
  type          = "CONDITIONAL"
  workflow_name = aws_glue_workflow.orders.name

  predicate {
    conditions {
      job_name = aws_glue_job.spark["daily-revenue"].name
      state    = "SUCCEEDED"
    }
  }

  actions {
    job_name = aws_glue_job.archive_landing.name
  }
}
