Feature: Deployment — every pod of the release runs
  After the install every pod is Running with all containers Ready, and none restarts.

  @SC-018 @T039 @T020 @T021 @T022 @T084
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
