"""The local cluster's CoreDNS is built from harness/clusters/gobuild/coredns with only the plugins its
Corefile uses, in CoreDNS's own order; the build checks the binary's `-plugins` against the Corefile and
never caches a binary that fails. Each check is shown failing on a seeded defect (an extra plugin, a missing
one, a wrong order, a version that does not match go.mod)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from harness.clusters import local_build
from harness.proc import run

CLUSTER_PLUGINS = [
    "errors",
    "health",
    "ready",
    "kubernetes",
    "prometheus",
    "forward",
    "cache",
    "loop",
    "reload",
    "loadbalance",
]


def _main_go_directives(main_go: str) -> list[str]:
    block = re.search(r"var directives = \[\]string\{(.*?)\}", main_go, re.DOTALL)
    assert block, "no `var directives = []string{...}` in main.go"
    return re.findall(r'"([\w-]+)"', block.group(1))


def _upstream_directives() -> list[str]:
    """CoreDNS's own directive order (core/dnsserver/zdirectives.go of the pinned module)."""
    info = json.loads(
        run(
            [
                local_build._go(),
                "mod",
                "download",
                "-json",
                f"github.com/coredns/coredns@{local_build.COREDNS_VERSION}",
            ],
            cwd=local_build.COREDNS_MODULE,
            env=local_build._go_env(),
            quiet=True,
        ).stdout
    )
    source = (Path(info["Dir"]) / "core" / "dnsserver" / "zdirectives.go").read_text()
    return _main_go_directives(source.replace("var Directives", "var directives"))


def _order_problems(ours: list[str], upstream: list[str]) -> list[str]:
    unknown = [d for d in ours if d not in upstream]
    if unknown:
        return [f"not CoreDNS directives: {unknown}"]
    expected = [d for d in upstream if d in ours]
    return [] if ours == expected else [f"order {ours} is not CoreDNS's {expected}"]


def test_the_corefile_parser_finds_each_plugin_of_the_clusters_corefile() -> None:
    assert local_build.corefile_directives(local_build.cluster_corefile()) == CLUSTER_PLUGINS
    # options inside a plugin's block (lameduck, pods, ttl, max_concurrent) are not plugins
    nested = ".:53 {\n health {\n  lameduck 5s\n }\n forward . /etc/resolv.conf {\n  max_concurrent 9\n }\n}"
    assert local_build.corefile_directives(nested) == ["health", "forward"]


def test_main_go_sets_exactly_the_corefiles_directives_in_coredns_order() -> None:
    main_go = (local_build.COREDNS_MODULE / "main.go").read_text()
    ours = _main_go_directives(main_go)
    assert set(ours) == set(CLUSTER_PLUGINS)
    upstream = _upstream_directives()
    assert _order_problems(ours, upstream) == []
    # the order check is able to fail: two directives swapped, and a name CoreDNS does not know
    swapped = ours[:]
    swapped[0], swapped[-1] = swapped[-1], swapped[0]
    assert _order_problems(swapped, upstream), "a swapped order passed"
    assert _order_problems([*ours, "no-such-plugin"], upstream), "an unknown directive passed"
    # each directive's plugin package is imported (prometheus is the metrics package's directive)
    packages = {"prometheus": "metrics"}
    for directive in ours:
        package = packages.get(directive, directive)
        assert f'"github.com/coredns/coredns/plugin/{package}"' in main_go, f"{directive} not imported"


def test_the_cache_key_follows_the_module_files_and_a_version_mismatch_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = tmp_path / "coredns"
    shutil.copytree(local_build.COREDNS_MODULE, module)
    monkeypatch.setattr(local_build, "COREDNS_MODULE", module)
    key = local_build.coredns_key()
    assert local_build.binaries().coredns.parent.parent.name == f"{local_build.COREDNS_VERSION}-{key}"
    (module / "main.go").write_text((module / "main.go").read_text() + "\n// changed\n")
    assert local_build.coredns_key() != key, "editing main.go kept the cached binary"
    monkeypatch.setattr(local_build, "COREDNS_VERSION", "v1.14.6")
    with pytest.raises(RuntimeError, match=r"requires CoreDNS v1\.14\.7 but .* is v1\.14\.6"):
        local_build.coredns_key()


@pytest.mark.slow
def test_the_built_binary_lists_exactly_the_corefiles_plugins() -> None:
    binary = local_build.build_coredns()  # cached, or built now; the build itself runs the same check
    listed = run([str(binary), "-plugins"], quiet=True).stdout.split()
    assert set(listed) == set(CLUSTER_PLUGINS) | local_build.COREDNS_IMPORTED_ONLY
    local_build.check_coredns_plugins(binary)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("seed", "message"),
    [
        ("extra", r"has plugins \['whoami'\] the Corefile does not use and lacks \[\]"),
        ("missing", r"has plugins \[\] the Corefile does not use and lacks \['loop'\]"),
    ],
)
def test_a_binary_with_a_seeded_extra_or_missing_plugin_is_refused_and_not_cached(
    seed: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = tmp_path / "coredns"
    shutil.copytree(local_build.COREDNS_MODULE, module)
    main_go = (module / "main.go").read_text()
    if seed == "extra":
        main_go = main_go.replace(
            '_ "github.com/coredns/coredns/plugin/reload"',
            '_ "github.com/coredns/coredns/plugin/reload"\n\t_ "github.com/coredns/coredns/plugin/whoami"',
        ).replace('\t"forward",\n', '\t"forward",\n\t"whoami",\n')
    else:
        main_go = main_go.replace('\t_ "github.com/coredns/coredns/plugin/loop"\n', "").replace(
            '\t"loop",\n', ""
        )
    assert main_go != (local_build.COREDNS_MODULE / "main.go").read_text()
    (module / "main.go").write_text(main_go)
    monkeypatch.setattr(local_build, "BUILD_TIMES", tmp_path / "build-times.json")  # not the real record
    out = tmp_path / "bin"
    with pytest.raises(RuntimeError, match=message):
        local_build._go_build(
            f"seeded CoreDNS ({seed})",
            out,
            ["build", "-trimpath", "-ldflags", "-s -w", "-o", "{out}/coredns", "."],
            cwd=module,
            verify=lambda built: local_build.check_coredns_plugins(built / "coredns"),
        )
    assert not out.exists(), "the refused binary was published to the cache path"
