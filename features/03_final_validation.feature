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
    Then the table of the bronze crawler was updated since the recovery started

  @FV3
  Scenario: The silver table is updated
    Then the table "silver_car_telemetry" was updated since the workflow run started

  @FV4
  Scenario: The gold current-state table is updated
    Then the table "gold_car_current_state" was updated since the workflow run started

  @FV5
  Scenario: performance_alerts_log is present
    Then the table "performance_alerts_log" is in the catalog

  @FV6
  Scenario: Athena returns exactly the alert types the data implies
    When I query "SELECT alert_type, COUNT(*) AS total FROM performance_alerts_log GROUP BY alert_type" in Athena
    Then the alert types are exactly those the test data implies

  @FV7
  Scenario: The logs are clean
    Then the job and crawler logs hold no critical error since the run started

  @FV8
  Scenario: Both gold jobs ran in parallel
    Then the runs of both gold jobs overlap in time
