// Command tcb-provisioner: the local cluster's dynamic volume provisioner (see hostpath.go), run on the host
// with its own client certificate like the cluster's other components.
package main

import (
	"context"
	"flag"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
	"sigs.k8s.io/sig-storage-lib-external-provisioner/v13/controller"
)

func main() {
	klog.InitFlags(nil)
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the provisioner's own identity")
	name := flag.String("provisioner-name", "todo-chatbot.local/hostpath", "the StorageClass provisioner served")
	also := flag.String("also-serve", "rancher.io/local-path",
		"comma-separated provisioner names whose volumes are served too (claims and PVs of a state dir from before)")
	root := flag.String("root", "", "directory under which each volume is a directory (absolute)")
	node := flag.String("node-name", "", "the node the directories live on")
	flag.Parse()

	provisioner, err := newHostPathProvisioner(*root, *node)
	if err != nil {
		klog.ErrorS(err, "bad arguments")
		os.Exit(2)
	}
	config, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		klog.ErrorS(err, "reading the kubeconfig", "path", *kubeconfig)
		os.Exit(2)
	}
	config.QPS, config.Burst = 50, 100 // one node's claims; the default 5/s would queue a chart's burst
	client := kubernetes.NewForConfigOrDie(config)

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	var others []string
	for _, other := range strings.Split(*also, ",") {
		if other = strings.TrimSpace(other); other != "" {
			others = append(others, other)
		}
	}
	klog.InfoS("starting", "provisioner", *name, "alsoServing", others, "root", provisioner.root, "node", *node)
	controller.NewProvisionController(ctx, client, *name, provisioner,
		controller.LeaderElection(false), // one process per cluster, started by the harness
		controller.AdditionalProvisionerNames(others),
	).Run(ctx)
}
