Feature: Chat — plain English becomes task operations
  Through the frontend's /api/chat, as a signed-up user; every effect is checked through the task API.

  Background:
    Given the release is installed
    And a new user chatting through the frontend

  @T055 @T060 @T086 @T067
  Scenario: A task is created by chat
    When the user says "add water the plants tomorrow"
    Then the reply reports a "created" action
    And the user has a task titled "water the plants" due tomorrow

  @T056
  Scenario: Tasks are listed by chat
    Given the user has tasks "pay rent" and "call the plumber"
    When the user says "show my tasks"
    Then the reply reports a "listed" action
    And the reply mentions "pay rent" and "call the plumber"

  @T057 @T060
  Scenario: A task is completed by chat
    Given the user has tasks "pay rent" and "call the plumber"
    When the user says "mark task 2 as done"
    Then the reply reports a "completed" action
    And task 2 is completed and task 1 is not

  @T058 @T060
  Scenario: A task is updated by chat
    Given the user has tasks "pay rent" and "call the plumber"
    When the user says "rename task 1 to pay the landlord"
    Then the reply reports an "updated" action
    And task 1 is titled "pay the landlord"

  @T059 @T060
  Scenario: A task is deleted by chat
    Given the user has tasks "pay rent" and "call the plumber"
    When the user says "delete task 1" and confirms if asked
    Then the reply reports a "deleted" action
    And task 1 no longer exists and task 2 still does

  @T060
  Scenario: The chat cannot touch another user's tasks
    Given another user with a task "secret plans"
    When the user says "delete task 1" and confirms if asked
    Then the other user's task 1 still exists
