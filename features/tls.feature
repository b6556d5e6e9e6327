Feature: TLS — the app over HTTPS
  With the chart's TLS option the frontend serves HTTPS with the certificate from a Secret (self-signed for
  this run, checked against its own CA), and users sign up and log in over it.

  @T092
  Scenario: A user logs in over HTTPS with the certificate from the release's Secret
    Given a second release serving the frontend over HTTPS
    Then the frontend's certificate is the one from the release's Secret, valid for the node's address
    And plain HTTP on the frontend's port gets no page
    And a user signs up, logs out and logs in again through the HTTPS frontend with a Secure session cookie
