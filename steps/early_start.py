"""The run's cluster, images and release, prepared in a thread of their own from the first scenario on, while
the scenarios that need none of them run (the repository, chart, image and docs checks: tens of seconds on
the warm run). The session fixtures (steps/fixtures.py) take each result from here, waiting only for what is
not ready yet; what a stage raised, the fixture raises, so a failure lands on the scenario that needed it.

Which scenarios need the cluster is learnt from the runs before (`ClusterUse`): a scenario's fixtures are
fetched by its steps as they run. A scenario not seen before (every scenario on a bare machine) is judged by
the step definitions its steps match: their parameters and those fixtures' own, read through pytest-bdd's
step lookup (`predicted_fixtures`); only where that cannot be read, by its Given steps' texts (CLUSTER_STEPS).
The scenarios that need none run first, those that need only the built images (minutes away on a bare
machine) last among them; the early start begins only when a selected scenario needs the cluster (a run of
the repository checks alone starts nothing). The images build beside the cluster's start, not before it.
Getting the order wrong costs time, never a result: a scenario that needs a stage waits for it, and without
the early start the fixtures do the work themselves.

Not a step module: steps/fixtures.py imports it before pytest loads the step modules."""

from __future__ import annotations

import inspect
import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from harness.clusters.base import ClusterInfo
from harness.clusters.select import TargetChoice, choose_target
from harness.log import get_logger, progress
from harness.paths import CACHE, write_replacing
from steps import second_release

if TYPE_CHECKING:
    from harness.images import ImageRef
    from harness.k8s import K8s
    from harness.release import Release
    from steps.session import HarnessSession

log = get_logger("plugin")

# the stages in the order they run, and the session fixture each one stands for
STAGES = ("build", "cluster", "load", "install")
STAGE_FIXTURES = {
    "built_images": "build",
    "cluster_target": "cluster",
    "cluster_info": "cluster",
    "k8s": "cluster",
    "loaded_images": "load",
    "release": "install",
}
# a scenario that fetched any of these used the cluster (the images alone do not count: they are the first
# stage, ready in about a second when nothing changed)
CLUSTER_FIXTURES = frozenset(STAGE_FIXTURES) - {"built_images"} | {"app_urls", "api", "new_user", "user"}

CLUSTER_USE_FILE = CACHE / "scenario-cluster-use.json"
# the last run's seconds: each scenario's (setup, call, teardown) and the background stages', for the order
TIMING_FILE = CACHE / "scenario-seconds.json"

# the Given steps by which a scenario says it needs the cluster (a first guess, before a run has seen it)
CLUSTER_STEPS = (
    "the release is installed",
    "the cluster chosen for this run",
    *second_release.SECOND_RELEASE_STEPS,
)


def predicted_fixtures(item: pytest.Item) -> frozenset[str] | None:
    """The fixtures a scenario's steps will ask for, read before it runs: the parameters of the step
    definitions that match its steps (the arguments a step's text gives are not fixtures) and, through
    pytest's fixture definitions visible to it, what those fixtures ask for in turn, with the scenario's own
    (autouse ones included). Every definition that matches a step counts (pytest picks one of them; which,
    does not change much here, and counting more errs toward waiting). None when this cannot be read: not a
    scenario, a step no definition matches (the run fails it anyway), or a pytest-bdd without these internals
    (the lookup is pytest-bdd's own, `find_fixturedefs_for_step`, as it resolves a step at run time)."""
    steps = second_release.scenario_steps(item)
    # pytest's fixture manager, as pytest registers it with its plugin manager (pytest offers no other public
    # way to it); if a release changes that, the prediction is unknown and a test says so
    config = getattr(item, "config", None)
    manager = config.pluginmanager.get_plugin("funcmanage") if config is not None else None
    if not steps or manager is None:
        return None
    try:
        from pytest_bdd.compat import getfixturedefs
        from pytest_bdd.scenario import STEP_ARGUMENTS_RESERVED_NAMES, find_fixturedefs_for_step
        from pytest_bdd.steps import step_function_context_registry
    except ImportError:
        return None
    wanted = set(getattr(item, "fixturenames", ()))
    for step in steps:
        contexts = [
            context
            for fixturedef in find_fixturedefs_for_step(step, manager, item)
            if (context := step_function_context_registry.get(fixturedef.func)) is not None
        ]
        if not contexts:
            return None
        for context in contexts:
            given = set(context.parser.parse_arguments(step.name) or {}) | STEP_ARGUMENTS_RESERVED_NAMES
            wanted |= set(inspect.signature(context.step_func).parameters) - given
    closure: set[str] = set()
    while wanted:
        name = wanted.pop()
        if name in closure:
            continue
        closure.add(name)
        for fixturedef in getfixturedefs(manager, name, item) or ():
            wanted.update(fixturedef.argnames)
    return frozenset(closure)


class ClusterUse:
    """Per scenario (node id), whether its last run used the cluster (fetched one of CLUSTER_FIXTURES)."""

    def __init__(self, path: Path = CLUSTER_USE_FILE, timing_path: Path | None = None) -> None:
        self.path = path
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            data = {}
        self.known: dict[str, bool] = (
            {str(k): bool(v) for k, v in data.items()} if isinstance(data, dict) else {}
        )
        self.seen: dict[str, bool] = {}
        self.timing_path = timing_path or path.with_name(TIMING_FILE.name)
        self.timing = Timing.read(self.timing_path)
        self.timing_now = Timing()
        self._predicted: dict[str, frozenset[str] | None] = {}

    def needs(self, item: pytest.Item) -> bool:
        """Whether this scenario needs the cluster: as a run before saw it, else as its step definitions say
        (the fixtures they ask for), else, where those cannot be read, as its Given steps' texts say."""
        if item.path.suffix != ".feature":
            return False
        known = self.known.get(item.nodeid)
        if known is not None:
            return known
        predicted = self.predicted(item)
        if predicted is not None:
            return bool(CLUSTER_FIXTURES & predicted)
        return any(text in CLUSTER_STEPS for text in second_release.scenario_step_texts(item))

    def needs_images(self, item: pytest.Item) -> bool:
        """Whether this scenario's steps ask for the built images (the first background stage: minutes on a
        bare machine, about a second otherwise); False when that cannot be read."""
        return item.path.suffix == ".feature" and "built_images" in (self.predicted(item) or ())

    def predicted(self, item: pytest.Item) -> frozenset[str] | None:
        """`predicted_fixtures(item)`, read once per scenario."""
        if item.nodeid not in self._predicted:
            self._predicted[item.nodeid] = predicted_fixtures(item)
        return self._predicted[item.nodeid]

    def record(self, nodeid: str, fixtures: Iterable[str]) -> None:
        self.seen[nodeid] = bool(CLUSTER_FIXTURES.intersection(fixtures))

    def save(self) -> None:
        if not self.seen:
            return
        try:  # runs side by side (tcb prove) may write it at the same moment
            write_replacing(
                self.path, json.dumps({**self.known, **self.seen}, indent=1, sort_keys=True) + "\n"
            )
            write_replacing(self.timing_path, self.timing.merged(self.timing_now).dumps())
        except OSError as exc:  # only the next run's order depends on it
            log.info("could not record which scenarios use the cluster (%s): %s", self.path, exc)


@dataclass
class Timing:
    """Seconds of the last run that ran each: per scenario its whole time (setup, call, teardown), per
    scenario tagged @restores_beside its restore's (from the rollback to every rollout complete), and the
    background stages' (build, cluster, load, install) together."""

    scenario: dict[str, float] = field(default_factory=dict)
    restore: dict[str, float] = field(default_factory=dict)
    background: float | None = None

    @classmethod
    def read(cls, path: Path) -> Timing:
        try:
            data = json.loads(path.read_text())
            return cls(
                {str(k): float(v) for k, v in data.get("scenario", {}).items()},
                {str(k): float(v) for k, v in data.get("restore", {}).items()},
                float(data["background"]) if data.get("background") is not None else None,
            )
        except (OSError, ValueError, TypeError, AttributeError):
            return cls()

    def add(self, nodeid: str, seconds: float) -> None:
        self.scenario[nodeid] = self.scenario.get(nodeid, 0.0) + seconds

    def merged(self, newer: Timing) -> Timing:
        return Timing(
            {**self.scenario, **newer.scenario},
            {**self.restore, **newer.restore},
            newer.background if newer.background is not None else self.background,
        )

    def dumps(self) -> str:
        data = {"background": self.background, "scenario": self.scenario, "restore": self.restore}
        return json.dumps(data, indent=1, sort_keys=True) + "\n"


def order_items(items: list[pytest.Item], use: ClusterUse) -> None:
    """Scenarios known to need no cluster first (those that need the built images last among them), then the
    others: those tagged @replaces_pods (they delete, restart or scale the release's pods) before the rest, so
    the pods they leave have aged by the end; @at_end scenarios last (the restart verdict waits until a pod of
    each component has lived long enough for a failing liveness probe to have restarted it). A stable sort:
    the files' order otherwise; tests that are not scenarios keep their place before the scenarios.

    Then the first scenario tagged @restores_beside (its teardown's restore rolls the release's pods and is
    waited for by the next scenario that needs the cluster) goes first in its group, and scenarios
    that need no cluster are moved behind it, to run while that rollout goes: the last of them, as many as
    the last run's seconds say fit in its restore while the rest still outlast the background stages (the
    cluster and the install they cover). Without a run before, nothing moves."""

    def key(item: pytest.Item) -> tuple[bool, bool, bool, bool, bool]:
        at_end = item.get_closest_marker("at_end") is not None
        needs = use.needs(item)
        restores = item.get_closest_marker("restores_beside") is None
        images = not needs and use.needs_images(item)  # the built images: minutes away on a bare machine
        return at_end, needs, images, item.get_closest_marker("replaces_pods") is None, restores

    items.sort(key=key)
    beside = next(
        (i for i in items if i.get_closest_marker("restores_beside") is not None and use.needs(i)), None
    )
    timing = use.timing
    if beside is None or timing.background is None or beside.nodeid not in timing.restore:
        return
    free = [i for i in items[: items.index(beside)] if i.path.suffix == ".feature" and not use.needs(i)]
    if any(i.nodeid not in timing.scenario for i in free):
        return  # a scenario not timed yet: keep them all before the cluster's
    budget, left = timing.restore[beside.nodeid], sum(timing.scenario[i.nodeid] for i in free)
    moved: list[pytest.Item] = []
    for item in reversed(free):
        seconds = timing.scenario[item.nodeid]
        if seconds <= budget and left - seconds >= timing.background:
            moved.insert(0, item)
            budget -= seconds
            left -= seconds
    for item in moved:
        items.remove(item)
    at = items.index(beside) + 1
    items[at:at] = moved
    if moved:
        log.info(
            "%d scenario(s) that need no cluster run beside %s's restore: %s",
            len(moved),
            beside.name,
            ", ".join(i.name for i in moved),
        )


class EarlyStart:
    """Build the images, find or start the cluster, load the images and install the release, in one thread,
    each stage's result (or exception) in a Future the fixtures wait for. Each stage is a progress phase and
    records when it ran and its own seconds (the report's phases)."""

    def __init__(
        self,
        hs: HarnessSession,
        *,
        install: Callable[[ClusterInfo, K8s, Mapping[str, ImageRef]], Release],
        choose: Callable[[], TargetChoice] | None = None,
        build: Callable[[], dict[str, ImageRef]] | None = None,
        connect: Callable[[ClusterInfo], K8s] | None = None,
        tools: Callable[[], None] | None = None,
    ) -> None:
        self.hs = hs
        self._install = install
        self._choose = choose or self._choose_target
        self._build = build or self._build_images
        self._connect = connect or self._k8s_client
        self._tools = tools or self._helm
        self.futures: dict[str, Future[Any]] = {stage: Future() for stage in STAGES}
        self.phases: dict[str, dict[str, Any]] = {}  # stage -> key, title, started, seconds, last, ok
        self.waited: dict[str, float] = {}  # fixture -> seconds its setup waited here
        # seconds from the start to the install's end, every stage done well (else None): what the scenarios
        # in front of the first that needs the cluster must outlast. Not the stages' own seconds summed: the
        # build runs beside the cluster stage, and a cold cluster stage's Go builds are phases of their own
        self.span: float | None = None
        self._thread: threading.Thread | None = None

    # --- the thread ---------------------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is None:
            log.info("preparing the cluster, images and release in the background")
            self._thread = threading.Thread(target=self._run, name="early-start", daemon=True)
            self._thread.start()

    @property
    def started(self) -> bool:
        return self._thread is not None

    def _run(self) -> None:
        # The images build in a thread of their own beside the cluster's start (on a bare machine the cluster
        # stage builds Kubernetes from Go modules for minutes, the images wait on downloads meanwhile); the
        # load and the install wait for both.
        began = time.monotonic()
        builder = threading.Thread(target=self._stages, args=(("build",),), name="early-build", daemon=True)
        builder.start()
        threading.Thread(target=self._tools, name="early-tools", daemon=True).start()
        self._stages(("cluster", "load", "install"))
        if self.futures["install"].exception() is None:  # the install waited for the build: all are done
            self.span = round(time.monotonic() - began, 2)
        builder.join()

    def _stages(self, stages: tuple[str, ...]) -> None:
        """Run these stages in order; a stage's exception goes to its future and to every later one's."""
        from steps.reporting import PHASE_TITLES

        steps: dict[str, Callable[[], Any]] = {
            "build": self._build,
            "cluster": self._cluster,
            "load": self._load,
            "install": self._install_release,
        }
        for stage in stages:
            wall = time.time()
            try:
                with progress.phase(stage, PHASE_TITLES.get(stage)) as running:
                    try:
                        value = steps[stage]()
                    finally:
                        self.phases[stage] = {
                            "key": stage,
                            "title": running.title,
                            "started": wall,
                            "seconds": round(running.own(), 2),
                            "last": running.last,
                            "ok": False,
                        }
            except BaseException as exc:  # the fixtures waiting for this or a later stage raise it
                for later in stages[stages.index(stage) :]:
                    self.futures[later].set_exception(exc)
                return
            self.phases[stage]["ok"] = True
            self.futures[stage].set_result(value)

    def _choose_target(self) -> TargetChoice:
        hs = self.hs
        return choose_target(
            hs.option("target"),
            kubeconfig=hs.option("kubeconfig"),
            reuse=bool(hs.option("reuse_cluster")),
            image_registry=hs.option("image_registry"),
            timeouts=hs.timeouts,
        )

    @staticmethod
    def _build_images() -> dict[str, ImageRef]:
        from harness.images import build_images

        return dict(build_images(progress=True))

    @staticmethod
    def _helm() -> None:
        """helm, built from Go modules on a bare machine (minutes), beside the images and the cluster: the
        chart scenarios and the install ask for it later. Whoever asks while it builds waits for this build
        (`ensure_helm` builds once); a failed build is raised by their own call."""
        from harness import helm

        try:
            helm.ensure_helm()
        except Exception as exc:  # each caller of ensure_helm raises it for itself
            log.info("helm was not built in the background: %s", exc)

    @staticmethod
    def _k8s_client(info: ClusterInfo) -> K8s:
        from harness.k8s import K8s

        return K8s(info.kubeconfig, info.context)

    def _cluster(self) -> tuple[TargetChoice, ClusterInfo, K8s]:
        choice = self._choose()
        preload = getattr(choice.cluster, "preload", None)
        if preload is not None:  # the local cluster moves them to its node while its control plane starts
            preload(self._built_refs)
        info = choice.cluster.ensure_up()
        info.notes["selection"] = choice.describe()
        return choice, info, self._connect(info)

    def _built_refs(self) -> list[str]:
        """The built images' references once they are built; none when the build failed (the load stage raises
        its error: the cluster itself starts, and is stopped, as it would be without the build)."""
        try:
            images: dict[str, ImageRef] = self.futures["build"].result()
        except BaseException:  # raised again by the load stage, to the fixtures that wait on it
            return []
        return [image.ref for image in images.values()]

    def _load(self) -> dict[str, ImageRef]:
        images: dict[str, ImageRef] = self.futures["build"].result()
        choice, _, _ = self.futures["cluster"].result()
        choice.cluster.load_images([image.ref for image in images.values()])
        return images

    def _install_release(self) -> Release:
        _, info, k8s = self.futures["cluster"].result()
        return self._install(info, k8s, self.futures["load"].result())

    # --- the fixtures' side -------------------------------------------------------------------------------
    def result(self, fixture: str) -> Any:
        """What the stage behind this session fixture made (waits for it; raises what it raised)."""
        stage = STAGE_FIXTURES[fixture]
        begun = time.monotonic()
        try:
            return self.futures[stage].result()
        finally:
            self.waited[fixture] = time.monotonic() - begun

    def wait_all(self, timeout: float) -> bool:
        """Whether the thread ended within `timeout` (at the end of a run that never asked for a stage)."""
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True
