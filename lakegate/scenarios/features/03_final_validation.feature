Feature: Final validation
  The runbook's "Checklist de Validação Final": the 8 items a release manager signs.

  Background:
    Given the deployed pipeline
    And the workflow has run to the end

  @FV1
  Scenario: The workflow COMPLETED with every action succeeded
    Then the workflow run is COMPLETED with all expected actions succeeded and none failed

  @FV2
  Scenario: The bronze table is updated
    Then the bronze table was updated since this run started

  @FV3
  Scenario: The silver table is updated
    Then the silver table was updated since this run started

  @FV4
  Scenario: The gold current-state table is updated
    Then the gold current-state table was updated since this run started

  @FV5
  Scenario: performance_alerts_log is present
    Then the alerts table is in the catalog

  @FV6
  Scenario: Athena returns exactly the alert types the data implies
    When I compute the alert types the silver data implies with the alerts job's limits
    And I query "SELECT alert_type, COUNT(*) AS total FROM {alerts} GROUP BY alert_type" in Athena
    Then the alert types returned are exactly those the data implies

  @FV7
  Scenario: The logs are clean
    Then the job and crawler logs hold no critical error since the run started

  @FV8
  Scenario: Both gold jobs ran in parallel
    Then the runs of both gold jobs overlap in time
