Feature: Access — the app answers at its NodePorts and works in a real browser
  The frontend at NodePort 30080 and the backend API at NodePort 30081, reached from this machine.

  @SC-019 @T041 @T085 @T067
  Scenario: The frontend answers at NodePort 30080
    Given the release is installed
    Then the frontend's page at NodePort 30080 is the todo app
    And the frontend's /api/health at NodePort 30080 reports service "frontend" ok
    And the frontend's /api/ready at NodePort 30080 answers 200

  @SC-020 @T042 @T043 @T085 @T067
  Scenario: The backend API answers at NodePort 30081
    Given the release is installed
    Then the backend's /api/health at NodePort 30081 reports service "backend" ok
    And the backend's /api/ready at NodePort 30081 answers 200
    And the backend's API docs at NodePort 30081 are served
    And the backend's OpenAPI document lists the task and auth endpoints
    And a new user signs up, logs in and creates, reads, updates, completes and deletes a task through the backend API at NodePort 30081

  @SC-019
  Scenario: The frontend's session refuses other sites' forms and ends at logout; titles are text
    A signed-in user's cookies on a form post without the page's CSRF token (as another site's form sends
    them) change nothing; after logout, the session cookie's value no longer opens the task list; a title's
    markup is shown as text, never run in the page.
    Given the release is installed
    Then a form posted to the frontend at NodePort 30080 without the page's CSRF token changes nothing
    And a session cookie kept from before logout no longer opens the task list at NodePort 30080
    And a task title with HTML markup is shown as text on the task list at NodePort 30080

  @SC-019 @T053 @T054 @T055 @T086 @T067 @browser
  Scenario: A user signs up, logs in and adds a task by chat in Chromium
    Given the release is installed
    And a Chromium browser on the frontend at NodePort 30080
    When a new user signs up in the browser
    And the user logs out and logs in again in the browser
    And the user types "add buy oat milk tomorrow" in the chat
    Then the chat replies in the browser
    And the task list shows a task titled "buy oat milk" without a page reload
    And the task exists through the API for that user
