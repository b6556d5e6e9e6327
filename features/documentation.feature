Feature: Documentation — a user can find how to build, deploy, verify and scale
  The README's quick start, the chart's notes and docs/ are present, and every quick-start command answers.

  @SC-025 @T002 @T081
  Scenario: The README has a quick start and its documentation links resolve
    Then the README has a "Quick start" section with commands
    And every local link in the README points to an existing file

  @SC-025 @T077 @T078 @T079 @T080
  Scenario: Every command of the README's quick start exists and answers --help
    Then every command of the README's quick start exists
    And every tcb command of the quick start answers --help
    And the CLI offers these commands:
      | command |
      | build   |
      | deploy  |
      | verify  |
      | scale   |

  @SC-025 @T076
  Scenario: The AI operations tools and their CLI fallbacks are documented
    Then "docs/acceptance.md" names each AI tool with its CLI fallback:
      | tool       |
      | kubectl-ai |
      | kagent     |
      | Gordon     |

  @T090
  Scenario: The acceptance run writes its reports to the report directory
    Then this run writes the HTML report, junit.xml, cucumber.json and the traceability matrix
