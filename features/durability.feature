Feature: Durability — the data outlives pods, restarts and releases
  A Postgres restart is answered with quick 503s and is over seconds after the new pod is Ready; a backup
  restored into a fresh release holds every task and the chat's conversations.

  @T091
  Scenario: A backup restored into a fresh release holds every task and the chat's conversations
    Given the release is installed
    And a signed-up user
    And the user has 7 tasks, some completed
    And the user deleted task 7 by chat
    When the release is backed up
    And the backup is restored into a fresh release
    Then "undo" in that conversation, on the fresh release, brings task 7 back
    And the user logs in to the fresh release and finds every task
