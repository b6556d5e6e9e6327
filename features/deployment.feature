Feature: Deployment — every pod of the release runs
  After the install every pod is Running with all containers Ready, and no container restarts until the run ends.

  @SC-018 @T039 @T084 @T067
  Scenario: Every pod is Running and Ready
    Given the release is installed
    Then every pod of the release is Running and Ready
    And these components have a Ready pod:
      | component |
      | frontend  |
      | backend   |
      | chatbot   |
      | postgres  |
    And no container of the release has restarted

  @T020 @T021 @T022
  Scenario: Every application pod answers /api/health inside the cluster
    Given the release is installed
    Then every backend pod answers /api/health as "backend" inside the cluster
    And every chatbot pod answers /api/health as "chatbot" inside the cluster
    And every frontend pod answers /api/health as "frontend" inside the cluster

  @SC-018 @at_end
  Scenario: No container restarted or was OOM-killed from the install to the end of the run
    Given the release is installed
    Then no container of the release restarted or was OOM-killed during the run
