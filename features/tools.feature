Feature: Foundational — the tools and the cluster the deployment needs
  The harness finds or starts Docker, helm and a Kubernetes cluster; here each is asked to prove it answers.

  @T006
  Scenario: Docker answers
    Then the Docker engine answers with its version

  @T008
  Scenario: Helm 3 answers
    Then helm answers with a version 3 release

  @T007 @T009 @T010
  Scenario: The cluster's API server answers and its node is Ready
    Given the cluster chosen for this run
    Then the API server answers with its version
    And every node of the cluster is Ready

  @T011
  Scenario: The cluster is configured for the app
    Given the cluster chosen for this run
    Then the cluster DNS is Ready
    And the run uses a private kubeconfig

  @T012
  Scenario: The built images are available to the cluster's node without a registry
    Given the images are built
    And the cluster chosen for this run
    Then the node holds every application image
