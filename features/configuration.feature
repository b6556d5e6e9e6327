Feature: Configuration — settings live in values, ConfigMaps and Secrets, not in images
  A `helm upgrade` changes the log level the running app really uses, under load on all three services, with no
  failed request.

  @SC-021 @T046 @T047 @T048 @T049 @T089 @replaces_pods @restores_beside
  Scenario: An upgrade to LOG_LEVEL=DEBUG reaches the pods with no failed request
    Given the release is installed
    And a signed-up user
    And load on the frontend, backend and chatbot through NodePort 30080
    When the release is upgraded with "config.logLevel" set to "DEBUG"
    Then the rollout of every application Deployment completes
    And every application pod was started after the upgrade with LOG_LEVEL "DEBUG" in its environment
    And the backend, chatbot and frontend report log_level "DEBUG" on /api/health
    And the backend, chatbot and frontend write DEBUG lines to their logs after the upgrade
    And no request of the load failed
    And no task the load created is lost

  @SC-021 @SC-022 @T031 @T050 @T051
  Scenario: The ConfigMap holds the settings and no secret
    Given the release is installed
    Then the release's ConfigMap sets ENVIRONMENT and LOG_LEVEL
    And no ConfigMap of the release holds a secret value
    And every application container takes its secrets from a Secret
