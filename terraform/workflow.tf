# The workflow the runbook monitors (PASSO 5/6): 5 triggers, 6 actions per run.
#
#   start (ON_DEMAND)                          -> silver_consolidation job
#   silver_consolidation SUCCEEDED             -> silver crawler
#   silver crawler SUCCEEDED (crawl_state)     -> gold_car_current_state job + gold_performance_alerts job (parallel)
#   gold_car_current_state SUCCEEDED           -> gold current-state crawler
#   gold_performance_alerts SUCCEEDED          -> gold alerts crawler
#
# The bronze crawler is not part of the workflow (runbook PASSO 2 runs it by hand). There is no
# scheduled trigger: a second start trigger would make the graph ambiguous.

resource "aws_glue_workflow" "this" {
  name                = local.workflow_name
  description         = "Bronze -> silver -> gold car telemetry ETL (6 actions per run)."
  max_concurrent_runs = 1
}

resource "aws_glue_trigger" "start" {
  name          = local.trigger_names.start
  description   = "Starts the workflow on demand (aws glue start-workflow-run)."
  type          = "ON_DEMAND"
  workflow_name = aws_glue_workflow.this.name

  actions {
    job_name = aws_glue_job.this["silver_consolidation"].name
  }
}

resource "aws_glue_trigger" "silver_crawler" {
  name              = local.trigger_names.silver_crawler
  description       = "Catalogs silver after the silver job succeeded."
  type              = "CONDITIONAL"
  workflow_name     = aws_glue_workflow.this.name
  start_on_creation = true

  predicate {
    logical = "AND"

    conditions {
      job_name         = aws_glue_job.this["silver_consolidation"].name
      logical_operator = "EQUALS"
      state            = "SUCCEEDED"
    }
  }

  actions {
    crawler_name = aws_glue_crawler.this["silver"].name
  }
}

resource "aws_glue_trigger" "gold_jobs" {
  name              = local.trigger_names.gold_jobs
  description       = "Runs both gold jobs in parallel once silver_car_telemetry is cataloged."
  type              = "CONDITIONAL"
  workflow_name     = aws_glue_workflow.this.name
  start_on_creation = true

  predicate {
    logical = "AND"

    conditions {
      crawler_name     = aws_glue_crawler.this["silver"].name
      logical_operator = "EQUALS"
      crawl_state      = "SUCCEEDED"
    }
  }

  actions {
    job_name = aws_glue_job.this["gold_car_current_state"].name
  }

  actions {
    job_name = aws_glue_job.this["gold_performance_alerts"].name
  }
}

resource "aws_glue_trigger" "gold_current_state_crawler" {
  name              = local.trigger_names.gold_current_state_crawl
  description       = "Catalogs gold_car_current_state after its job succeeded."
  type              = "CONDITIONAL"
  workflow_name     = aws_glue_workflow.this.name
  start_on_creation = true

  predicate {
    logical = "AND"

    conditions {
      job_name         = aws_glue_job.this["gold_car_current_state"].name
      logical_operator = "EQUALS"
      state            = "SUCCEEDED"
    }
  }

  actions {
    crawler_name = aws_glue_crawler.this["gold_car_current_state"].name
  }
}

resource "aws_glue_trigger" "gold_alerts_crawler" {
  name              = local.trigger_names.gold_alerts_crawl
  description       = "Catalogs performance_alerts_log after its job succeeded."
  type              = "CONDITIONAL"
  workflow_name     = aws_glue_workflow.this.name
  start_on_creation = true

  predicate {
    logical = "AND"

    conditions {
      job_name         = aws_glue_job.this["gold_performance_alerts"].name
      logical_operator = "EQUALS"
      state            = "SUCCEEDED"
    }
  }

  actions {
    crawler_name = aws_glue_crawler.this["gold_performance_alerts"].name
  }
}
