Feature: Network policy — each component reaches only what it needs
  The chart's NetworkPolicies, in effect on a cluster that enforces them: connections are opened from inside
  the release's own pods. Where the cluster's network plugin enforces no policy, the denied paths are NOT
  VERIFIED, with that reason.

  @SC-017
  Scenario: Postgres takes connections from the backend and chatbot only
    Given the release is installed
    Then a backend pod can open a connection to postgres
    And a chatbot pod can open a connection to postgres
    And a frontend pod can open a connection to backend
    And a frontend pod cannot open a connection to postgres
    And a pod outside the release cannot open a connection to postgres

  @SC-017
  Scenario: The backend and chatbot take no connection from where the chart does not allow it
    Given the release is installed
    Then a frontend pod can open a connection to chatbot
    And a backend pod cannot open a connection to chatbot
    And a chatbot pod cannot open a connection to frontend
    And a pod outside the release cannot open a connection to chatbot
