Feature: Setup — the repository holds everything a deployment needs
  The layout, the chart skeleton and the git hygiene that keep local secrets out of the repository.

  @T001 @T004 @T005
  Scenario: The repository has the deployment layout
    Then these paths exist in the repository:
      | path                               |
      | services/backend/Dockerfile        |
      | services/chatbot/Dockerfile        |
      | services/frontend/Dockerfile       |
      | chart/Chart.yaml                   |
      | chart/values.yaml                  |
      | chart/values.schema.json           |
      | chart/values-dev.yaml.example      |
      | chart/values-prod.yaml             |
      | chart/templates/_helpers.tpl       |
      | chart/templates/NOTES.txt          |
      | chart/templates/tests              |
      | harness                            |
      | features                           |
      | steps                              |
      | docs                               |

  @SC-022 @T003 @T083
  Scenario: Local secret files are ignored by git and none is tracked
    Then git ignores these paths:
      | path                   |
      | chart/values-dev.yaml  |
      | .env                   |
      | chart/my.local.yaml    |
    And git tracks no file with local secrets

  @SC-022 @T082
  Scenario: The example values file holds placeholders, not secrets
    Then "chart/values-dev.yaml.example" sets every secret the chart needs
    And "chart/values-dev.yaml.example" holds no secret-looking value
