Feature: Images — the services ship as small, non-root container images
  Built from the repository's Dockerfiles with content-hash tags, on machines with no registry.

  @SC-016 @T013 @T014
  Scenario: Each service has a multi-stage Dockerfile with a replaceable base image
    Then each service's Dockerfile is multi-stage with a BASE_IMAGE argument:
      | service  |
      | backend  |
      | chatbot  |
      | frontend |

  @SC-016 @T015 @T016 @T017 @T019
  Scenario: The images are built, tagged by content and at most 80 MB each
    Given the images are built
    Then every application image is tagged with a content hash, not latest
    And every application image is at most 80 MB
    And no application image adds files only a build needs (wheels, pip, compilers, C sources, headers)

  @SC-016 @T018
  Scenario: The images run as a non-root user
    Given the images are built
    Then every application image runs as user 1001
    And every application container in the cluster runs as a non-root user
    And every application container in the cluster runs on a read-only root filesystem, without privilege escalation or capabilities

  @SC-016
  Scenario: The services in the images serve on uvloop and httptools, as they were benchmarked
    Given the release is installed
    Then every application pod serves HTTP on uvloop and httptools, as the benchmarks ran it

  @T077
  Scenario: `tcb build` builds (or finds) every image the run deploys
    Given the images are built
    When `tcb build` is run
    Then it lists every application image with the content-hash tag this run deploys
