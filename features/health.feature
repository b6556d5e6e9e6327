Feature: Health checks — probes are configured and effective
  Liveness, readiness and startup probes on every application container; a pod whose readiness fails stops
  receiving traffic and gets it back once it recovers. `helm test` is shown to fail while the app cannot serve.

  @SC-024
  Scenario: Every application container has liveness, readiness and startup probes
    Given the release is installed
    Then every application container of the release has liveness, readiness and startup probes

  @SC-024 @T066 @SC-017
  Scenario: Pods that cannot serve leave their Service's endpoints and come back
    The backend and chatbot cannot serve without their database, the frontend cannot without the backend:
    each service's readiness must take its pods out of its Service, whichever service it is.
    Given the release is installed
    And the backend Service has 2 ready endpoints
    When the Postgres StatefulSet is scaled to 0
    Then the backend Service has no ready endpoints
    And the chatbot Service has no ready endpoints
    And the frontend Service has no ready endpoints
    And the backend pods are Running but not Ready
    And helm test fails for the release
    When the Postgres StatefulSet is scaled to 1
    Then the backend Service has 2 ready endpoints
    And the chatbot Service has 1 ready endpoints
    And the frontend Service has 2 ready endpoints
    And the backend's /api/ready at NodePort 30081 answers 200
    And every pod of the release is Running and Ready
    And no backend container has restarted
