Feature: Diagnosis
  The runbook's "Diagnóstico de Problemas" and "Sintomas Comuns": each fault is injected in the
  local AWS, detected and diagnosed with the runbook's cause and fix, and cleared by recovery.
  Faults can only be injected where the environment allows it (the embedded local AWS): in a live
  environment these scenarios are local rehearsals, not items of the sign-off.

  Background:
    Given the deployed pipeline

  @P1
  Scenario: Problem 1 - "Column does not exist" after a schema change
    Given the bronze crawler has run
    When the fault "stale-schema" is injected
    And the bookmark of the silver job is reset so that it reads all bronze data again
    And the workflow is run once more
    Then the workflow run is not healthy
    And the diagnosis names problem "P1" with a cause mentioning "catalog schema"
    When lakegate recovers the environment resetting the bookmarks of "silver"
    Then the recovery succeeds

  @P2
  Scenario: Problem 2 - the crawler role lacks glue:BatchGetPartition
    When the fault "crawler-access-denied" is injected
    And the bronze crawler is run once more
    Then the crawl failed with "glue:BatchGetPartition"
    And the diagnosis names problem "P2" with a cause mentioning "glue:BatchGetPartition"
    When the corrected policy is applied
    And lakegate recovers the environment waiting for IAM propagation
    Then the recovery succeeds

  @P3
  Scenario: Problem 3 - jobs do not process new data
    When the fault "stuck-bookmark" is injected
    And new bronze data arrives
    And the bronze crawler is run once more
    And the workflow is run once more
    Then the diagnosis names problem "P3" with a cause mentioning "bookmark"
    When lakegate recovers the environment resetting the bookmarks of "all"
    Then the recovery succeeds

  @P4
  Scenario: Problem 4 - the crawler finds no data
    When the fault "empty-crawler-target" is injected
    And the bronze crawler is run once more
    Then the diagnosis names problem "P4" with a cause mentioning "no files"
    When the fault "empty-crawler-target" is cleared
    And lakegate recovers the environment
    Then the recovery succeeds

  @P5
  Scenario: Problem 5 - the workflow is stuck in RUNNING
    When the fault "stuck-run" is injected
    And the workflow is started without waiting
    Then the diagnosis with a stuck threshold of 1 second names problem "P5" with a cause mentioning "does not finish"
    When the fault "stuck-run" is cleared
    And lakegate recovers the environment allowing to stop the stuck run
    Then the recovery succeeds

  @S1
  Scenario: Symptom 1 - COMPLETED with failed actions is a failure
    When the fault "job-failure" is injected
    And the workflow is run once more
    Then the workflow run is COMPLETED with 1 failed action
    And the diagnosis names problem "S1" with a cause mentioning "failed"
    When the fault "job-failure" is cleared
    And lakegate recovers the environment
    Then the recovery succeeds
