Feature: Resilience — pods are deleted and replaced while users work
  A bounded load runs against the app while pods go away; requests, failures and recovery time are reported.

  @T061 @T087 @T067 @replaces_pods
  Scenario: A deleted backend pod is replaced with no failed request
    Given the release is installed
    And a signed-up user
    And load on the app through NodePort 30081
    When a backend pod is deleted
    Then the backend Deployment has 2 Ready replicas
    And no request of the load failed
    And no task the load created is lost

  @T062 @T087 @T093 @replaces_pods
  Scenario: A deleted Postgres pod is replaced, every request meanwhile gets a 503, no task is lost
    Given the release is installed
    And a signed-up user
    And load on the app through NodePort 30081
    When the Postgres pod is deleted
    Then the Postgres pod is Ready again
    And the app serves again within 5 seconds of the new Postgres pod being Ready
    And every failed request of the load was a 503, none refused or timed out
    And no task the load created is lost

  @T065 @replaces_pods
  Scenario: A rolling update of the backend loses no request
    Given the release is installed
    And a signed-up user
    And load on the app through NodePort 30081
    When the backend Deployment is restarted
    Then the rollout of the backend Deployment completes
    And no request of the load failed
    And no task the load created is lost
