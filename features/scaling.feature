Feature: Scaling — the backend scales out and in under load
  Replicas are added and removed while users keep working, and none of their requests fails.

  @SC-023 @T063 @T064 @T074 @T080 @T088 @T067 @replaces_pods
  Scenario: The backend scales 2 → 4 → 2 under load with no failed request
    Given the release is installed
    And a signed-up user
    And the backend Deployment has 2 Ready replicas
    And load on the app through NodePort 30081
    And the backend pods are watched as they terminate
    When the backend is scaled to 4 replicas with `tcb scale`
    Then the backend Deployment has 4 Ready replicas
    And the backend Service has 4 ready endpoints
    When the backend is scaled to 2 replicas with `tcb scale`
    Then the backend Deployment has 2 Ready replicas
    And every backend pod the scale-down removed kept serving for at least 1 s after it began terminating
    And a drain may evict one backend pod but not the other while the first is replaced
    And the backend Deployment has 2 Ready replicas
    And no request of the load failed
    And no task the load created is lost
