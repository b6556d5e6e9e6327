// Command pause is the sandbox ("pause") container of the local cluster: it holds a pod's namespaces,
// reaps orphaned children (it is PID 1 of the pod when the process namespace is shared) and exits on SIGINT/SIGTERM.
// It does what Kubernetes' build/pause/linux/pause.c does, in Go so that it builds without a C toolchain.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-v" {
		os.Stdout.WriteString("pause (todo-chatbot local cluster)\n")
		return
	}
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for sig := range signals {
		if sig != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
