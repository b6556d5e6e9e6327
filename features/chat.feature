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

  @SC-019
  Scenario: A delete reached by a guess is asked first, "no" keeps the task, and undo brings a delete back
    A misspelt command and title ("delte the plumbr") reach the task only by typo correction and fuzzy
    matching: the bot says what it understood and deletes nothing until "yes"; "undo" restores the deleted
    task with its number, title, due date and priority.
    Given the user has tasks "pay rent" and "call the plumber"
    And task 2 is due in 3 days with high priority
    When the user says "delte the plumbr"
    Then the reply asks before deleting and the user still has tasks 1 and 2
    When the user says "no"
    Then the reply asks nothing more and the user still has tasks 1 and 2
    When the user says "delte the plumbr" and confirms if asked
    Then task 2 no longer exists and task 1 still does
    When the user says "undo"
    Then task 2 is back as "call the plumber", due in 3 days with high priority

  @T060
  Scenario: The chat cannot touch another user's tasks
    Given another user with a task "secret plans"
    When the user says "delete task 1" and confirms if asked
    Then the other user's task 1 still exists
