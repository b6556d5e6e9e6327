Feature: Documentation — a user can find how to build, deploy, verify and scale
  The README's quick start, the chart's notes and docs/ are present, every quick-start command answers, and what
  the docs say about options, commands and chart values matches the code.

  @SC-025 @T002 @T081
  Scenario: The README has a quick start and its documentation links resolve
    Then the README has a "Quick start" section with commands
    And every local link in the README points to an existing file

  @SC-025
  Scenario: Every command of the README's quick start exists and answers --help
    Then every command of the README's quick start exists
    And every tcb command of the quick start answers --help

  @SC-025 @T002
  Scenario: The docs describe the options, commands and chart values the code has
    Then every acceptance option `pytest --help` offers is documented, and no other
    And every tcb command and option the docs name exists, and every command is documented
    And every key of chart/values.yaml is in docs/chart.md's values reference, and no other

  @SC-025 @T076
  Scenario: The AI operations tools and their CLI fallbacks are documented
    Then "docs/acceptance.md" names each AI tool with its CLI fallback:
      | tool       |
      | kubectl-ai |
      | kagent     |
      | Gordon     |

  @T090
  Scenario: An acceptance run writes its reports to the report directory
    When the setup feature is run as its own acceptance run with a fresh report directory
    Then that run passes and writes the HTML report, junit.xml, cucumber.json and the traceability matrix
    And each report names every scenario of the setup feature with its outcome
