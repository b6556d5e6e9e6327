Feature: Health checks — probes are configured and effective
  Liveness, readiness and startup probes on every application container; a pod whose readiness fails stops
  receiving traffic and gets it back once it recovers.

  @SC-024
  Scenario: Every application container has liveness, readiness and startup probes
    Given the release is installed
    Then every application container of the release has liveness, readiness and startup probes

  @SC-024 @T066
  Scenario: Backend pods whose database is gone leave the Service's endpoints and come back
    Given the release is installed
    And the backend Service has 2 ready endpoints
    When the Postgres StatefulSet is scaled to 0
    Then the backend Service has no ready endpoints
    And the backend pods are Running but not Ready
    When the Postgres StatefulSet is scaled to 1
    Then the backend Service has 2 ready endpoints
    And the backend's /api/ready at NodePort 30081 answers 200
    And every pod of the release is Running and Ready
    And no backend container has restarted
