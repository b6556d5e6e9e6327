"""detect-secrets over every file git tracks: no finding. Nothing is excluded by path: a test's fake
credential is marked `# pragma: allowlist secret` on its line or recorded by hash in
specs/secrets-reviewed.json (harness.checks.repository), so a real secret added later is still caught."""

from __future__ import annotations

from harness.checks import repository as checks


def test_no_secret_in_tracked_files() -> None:
    assert len(checks.tracked_files()) > 20, "git ls-files listed almost nothing: is this the repo?"
    findings = checks.secret_scan_tracked()
    assert not findings, (
        "detect-secrets findings (move real secrets out of git; mark a test's fake one with "
        "`# pragma: allowlist secret` on its line, or record it with "
        "harness.checks.repository.record_reviewed):\n" + "\n".join(map(str, findings))
    )
