// CoreDNS with only the plugins the local cluster's Corefile uses (harness/clusters/local_manifests.py).
//
// CoreDNS's documented way to build a custom plugin set without patching its plugin.cfg: a main package
// that imports the wanted plugins, sets dnsserver.Directives and calls coremain.Run
// (https://coredns.io/2017/07/25/compile-time-enabling-or-disabling-plugins/). Leaving out route53, azure,
// clouddns, etcd, dnstap, grpc, ... leaves out their SDKs, which were most of the cold build.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/forward"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/loop"
	_ "github.com/coredns/coredns/plugin/metrics" // the "prometheus" directive
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"
)

// directives in the order of CoreDNS's own core/dnsserver/zdirectives.go (the order plugins see a query);
// tests/cluster/test_coredns_build.py checks the order against the module and the set against the Corefile
var directives = []string{
	"reload",
	"ready",
	"health",
	"prometheus",
	"errors",
	"loadbalance",
	"cache",
	"kubernetes",
	"loop",
	"forward",
}

func init() {
	dnsserver.Directives = directives
}

func main() {
	coremain.Run()
}
