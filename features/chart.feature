Feature: Chart — one Helm chart validates, renders and installs
  The chart is linted, rendered offline, dry-run against the cluster, installed and tested with `helm test`.

  @SC-017 @T034
  Scenario: The chart passes helm lint
    Then helm lint passes on the chart with this run's values

  @SC-017 @T024 @T025 @T026 @T027 @T028 @T029 @T030 @T031 @T032 @T035 @T040
  Scenario: The chart renders valid manifests for the whole app
    When the chart is rendered with this run's values
    Then the manifests are valid Kubernetes objects
    And Chart.yaml's name, version and appVersion label every rendered object
    And every rendered object carries the chart's name and instance labels, and each selector matches its pods
    And the rendered Secret holds BETTER_AUTH_SECRET, POSTGRES_PASSWORD and each service's database URL
    And an LLM API key given to the chart is rendered into the Secret and nowhere else
    And the manifests hold these objects:
      | kind        | component |
      | Deployment  | frontend  |
      | Deployment  | backend   |
      | Deployment  | chatbot   |
      | StatefulSet | postgres  |
      | Service     | frontend  |
      | Service     | backend   |
      | Service     | chatbot   |
      | ConfigMap   |           |
      | Secret      |           |
    And the frontend Service is a NodePort on 30080
    And the backend Service is a NodePort on 30081
    And the chatbot Service is a ClusterIP on port 8001
    And the rendered backend Deployment has 2 replicas

  @SC-017 @T037
  Scenario: A dry-run install against the cluster succeeds
    Given the cluster chosen for this run
    Then a dry-run install of the chart into a new namespace succeeds

  @SC-017 @T038 @T084
  Scenario: The chart installs into a fresh namespace
    Given the release is installed
    Then the release status is deployed

  @SC-017 @T044
  Scenario: helm test passes
    Given the release is installed
    Then helm test passes for the release

  @SC-025 @T033
  Scenario: The release notes tell the user where the app is
    Given the release is installed
    Then the release notes name the URLs on ports 30080 and 30081

  @SC-022 @T036
  Scenario: The chart refuses to render without its secrets
    Then rendering the chart without "secrets.betterAuthSecret" fails naming it
    And rendering the chart without "secrets.postgresPassword" fails naming it

  @SC-017 @T052
  Scenario: The values schema rejects invalid values
    Then helm refuses a misspelt key in every object of the chart's values, naming where
    And rendering the chart with "config.logLevel" set to "LOUD" fails naming "logLevel"
    And rendering the chart with "frontend.noSuchKey" set to "1" fails naming "noSuchKey"

  @SC-017 @T045
  Scenario: The production values render a production configuration
    When the chart is rendered with "chart/values-prod.yaml" and this run's secrets
    Then the ConfigMap sets ENVIRONMENT to "production"
    And every application container has resource requests and limits
    And the backend's HorizontalPodAutoscaler scales the backend Deployment
