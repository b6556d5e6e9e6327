Feature: Secrets — never in git, never in images, never in ConfigMaps
  The run generates its own secrets; they must be found only in the cluster's Secret objects.

  @SC-022
  Scenario: The run's secrets are not in git, in its history, or in the images
    Given the release is installed
    And the secrets of this run
    Then no tracked file holds any of the run's secrets
    And no commit in the git history holds any of the run's secrets
    And no image layer, history entry, label or environment variable holds any of the run's secrets

  @SC-022
  Scenario: No file in git or in its history holds a secret-looking value
    Then a secret scan of the tracked files finds nothing
    And a secret scan of the git history finds nothing

  @SC-022 @T023
  Scenario: The images carry no secrets in their configuration
    Given the images are built
    Then no application image sets a secret-named environment variable
