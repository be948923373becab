Feature: Before apply
  The runbook's "Checklist Antes de Atualizar Terraform": what must be true before
  `terraform apply` touches the data lake.

  @BA1
  Scenario: A backup of the current configuration is taken
    Given the deployed pipeline
    When I back up the current configuration
    Then the backup holds the Terraform state, the job bookmarks and the catalog table definitions
    And every backup file carries a timestamp

  @BA2
  Scenario: The plan is produced and reviewed by the gate
    Given the Terraform configuration of the pipeline
    When the gate checks its plan
    Then the gate reports no blocking finding
    And the workflow graph has 6 actions with both gold jobs in parallel

  @BA3
  Scenario: Schema and IAM changes in the plan are detected and listed
    Given the Terraform configuration of the pipeline
    When the gate checks its plan
    Then the recovery plan lists the crawlers to rerun and the IAM propagation wait

  @BA4
  Scenario: Test data is ready
    Given the deployed pipeline
    Then the bronze path holds Parquet files in the ingest_year/ingest_month/ingest_day layout
    And the test data implies every alert type

  @BA5
  Scenario: Current run IDs are recorded as the baseline
    Given the deployed pipeline
    When I record the current run IDs
    Then the baseline names the workflow, every job and every crawler
