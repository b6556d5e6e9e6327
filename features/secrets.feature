Feature: Secrets — never in git, never in images, never in ConfigMaps
  The run generates its own secrets; they must be found only in the cluster's Secret objects, and no image may
  carry a local secret file or key material.

  @SC-022
  Scenario: The release's secrets appear nowhere but in its Secret objects
    Given the release is installed
    And the release's real secret values
    Then no tracked file holds any of them
    And the release notes hold none of them
    And the rendered manifests hold them only in Secret objects
    And no pod spec of the release holds any of them
    And no pod log of the release holds any of them

  @SC-022
  Scenario: No file in git or in its history holds a secret-looking value
    Then a secret scan of the tracked files finds nothing
    And a secret scan of the git history finds nothing

  @SC-022 @T023
  Scenario: The images carry no secrets in their configuration or files
    Given the images are built
    Then no application image sets a secret-named environment variable
    And no application image holds a local secret file or key material
    And no application image's own files hold a secret-looking value (detect-secrets, high-entropy strings)
