Feature: Operations — the CLI fallbacks for the optional AI tools
  kubectl-ai, kagent and Gordon are optional; what a user would ask them is answered by the harness and
  kubectl/helm equivalents, which must work without them.

  @T072
  Scenario: "Show me the deployment" — the release's pods and their state
    Given the release is installed
    Then a listing of the release's workloads shows each with its ready replicas

  @T073
  Scenario: "Is the cluster healthy?" — the verify checks pass
    Given the release is installed
    Then the six verify checks pass:
      | check                  |
      | pods running           |
      | services present       |
      | frontend reachable     |
      | backend health         |
      | api docs               |
      | signup and login       |

  @T075
  Scenario: "Why is this pod failing?" — the diagnostics bundle
    Given the release is installed
    When a diagnostics bundle is collected for the release
    Then the bundle holds pod logs, events and the helm status
    And the bundle holds none of the run's secrets, plain or base64-encoded

  @T079
  Scenario: `tcb verify` runs acceptance scenarios against the installed release, and fails on a missing one
    Given the release is installed
    When `tcb verify` runs the NodePort scenarios against the installed release
    Then that verification passes and ran 2 scenarios against the release's namespace
    When `tcb verify` runs the NodePort scenarios against a namespace with no release
    Then that verification fails

  @T078
  Scenario: `tcb deploy` upgrades the installed release in place and waits until it is Ready
    Given the release is installed
    When `tcb deploy` is run for the installed release
    Then it reports the release installed in its namespace with a new revision
    And every pod of the release is Running and Ready
