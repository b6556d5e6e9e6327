Feature: Durability — the data outlives pods, restarts and releases
  A Postgres restart is answered with quick 503s and is over seconds after the new pod is Ready; a backup
  restored into a fresh release holds every task.

  @T091
  Scenario: A backup restored into a fresh release holds every task
    Given the release is installed
    And a signed-up user
    And the user has 7 tasks, some completed
    When the release is backed up
    And the backup is restored into a fresh release
    Then the user logs in to the fresh release and finds every task
