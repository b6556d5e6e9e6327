Feature: Health checks — probes are configured and effective
  Liveness, readiness and startup probes on every application container. Readiness means "this pod can
  serve": a pod the database refuses stops receiving traffic and gets it back once it recovers, while a
  database outage (the same for every pod) keeps the pods in the Service answering 503 with Retry-After.

  @SC-024
  Scenario: Every application container has liveness, readiness and startup probes
    Given the release is installed
    Then every application container of the release has liveness, readiness and startup probes

  @SC-024 @T066 @SC-017
  Scenario: Pods that cannot serve leave their Service's endpoints and come back
    The backend and the chatbot cannot serve when the database refuses their own role, the frontend cannot
    without the backend: each service's readiness must take its pods out of its Service. `helm test` of the
    backend must fail meanwhile, or it cannot tell a broken release from a working one.
    Given the release is installed
    And the backend Service has 2 ready endpoints
    When the database refuses the backend's logins
    Then the backend Service has no ready endpoints
    And the frontend Service has no ready endpoints
    And the backend pods are Running but not Ready
    And helm test of the backend fails
    When the database admits the backend's logins again
    Then the backend Service has 2 ready endpoints
    And the frontend Service has 2 ready endpoints
    And the backend's /api/ready at NodePort 30081 answers 200
    When the database refuses the chatbot's logins
    Then the chatbot Service has no ready endpoints
    When the database admits the chatbot's logins again
    Then the chatbot Service has 1 ready endpoints
    And no backend container has restarted

  @SC-024 @T093 @replaces_pods
  Scenario: While Postgres is away the backend pods stay in the Service and answer 503 with Retry-After
    Given the release is installed
    And a signed-up user
    And the backend Service has 2 ready endpoints
    When the Postgres StatefulSet is stopped
    Then the Postgres pod is gone
    And for 8 seconds the backend Service keeps 2 ready endpoints
    And a task request at NodePort 30081 answers 503 with Retry-After within 5 seconds
    When the Postgres StatefulSet is started again
    Then a task request at NodePort 30081 answers 200 within 5 seconds of Postgres being Ready
    And every pod of the release is Running and Ready
    And no backend container has restarted
