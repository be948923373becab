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
    Given the plan that was applied
    When the gate checks the plan
    Then the gate reports no blocking finding
    And the workflow graph has the expected actions with both gold jobs in parallel

  @BA3
  Scenario: Schema and IAM changes in the plan are detected and listed
    Given the plan that was applied
    When the gate checks the plan
    Then every crawler and IAM change of the plan has its recovery step, or none is required
    And every recovery step says why

  @BA4
  Scenario: Test data is ready
    Given the deployed pipeline
    When I list the bronze data path
    Then it holds data files in one Hive partition layout
    And a sample data file holds rows

  @BA5
  Scenario: Current run IDs are recorded as the baseline
    Given the deployed pipeline
    When I record the current run IDs
    Then the baseline names the workflow, every job and every crawler
