"""harness/k8s.py reads the API's timestamps with datetime.fromisoformat instead of dateutil: the objects the
client deserialises hold the same values, time zone included, and any other format still parses."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import kubernetes.client.api_client
import pytest
from dateutil.parser import parse as dateutil_parse
from kubernetes import client

from harness import k8s


class _Response:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = json.dumps(data)


POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "p", "creationTimestamp": "2026-11-30T20:43:38Z"},
    "status": {
        "startTime": "2026-11-30T20:43:39.250000Z",
        "containerStatuses": [
            {
                "name": "c",
                "image": "i",
                "imageID": "",
                "ready": True,
                "restartCount": 1,
                "state": {"running": {"startedAt": "2026-11-30T20:43:40+01:00"}},
                "lastState": {"terminated": {"exitCode": 137, "finishedAt": "2026-11-30T20:43:37Z"}},
            }
        ],
    },
}


def test_the_client_reads_timestamps_with_the_harness_parser() -> None:
    assert kubernetes.client.api_client.parse is k8s._api_timestamp


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-30T20:43:38Z",
        "2026-11-30T20:43:38.123456Z",
        "2026-11-30T20:43:38+01:00",
        "2026-11-30",
        "Mon, 30 Nov 2026 20:43:38 GMT",  # not RFC 3339: dateutil's
    ],
)
def test_each_timestamp_reads_as_dateutil_reads_it(text: str) -> None:
    ours, theirs = k8s._api_timestamp(text), dateutil_parse(text)
    assert ours == theirs and ours.utcoffset() == theirs.utcoffset(), (ours, theirs)


def test_a_deserialised_pod_has_aware_timestamps_equal_to_dateutils() -> None:
    pod = client.ApiClient().deserialize(_Response(POD), "V1Pod")
    status = pod.status.container_statuses[0]
    assert pod.metadata.creation_timestamp == datetime(2026, 11, 30, 20, 43, 38, tzinfo=UTC)
    assert pod.status.start_time == datetime(2026, 11, 30, 20, 43, 39, 250000, tzinfo=UTC)
    assert status.state.running.started_at == dateutil_parse("2026-11-30T20:43:40+01:00")
    assert status.last_state.terminated.finished_at.tzinfo is not None


def test_a_parser_that_drops_the_time_zone_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """Seeded: naive datetimes (a `Z` stripped) would compare unequal to dateutil's aware ones."""
    monkeypatch.setattr(
        kubernetes.client.api_client, "parse", lambda text: datetime.fromisoformat(text.rstrip("Z"))
    )
    with pytest.raises(AssertionError):
        test_a_deserialised_pod_has_aware_timestamps_equal_to_dateutils()
