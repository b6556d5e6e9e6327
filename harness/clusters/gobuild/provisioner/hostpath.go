// The local cluster's volume provisioner: one directory per claim under a root on the node, served as a
// hostPath PersistentVolume pinned to the node. The directory is made here, in this process (it runs on the
// host, like the kubelet), not by a helper pod, so a claim is provisioned as soon as the scheduler picks the
// node. The controller loop (watching claims and volumes, events, retries) is
// sigs.k8s.io/sig-storage-lib-external-provisioner's.
package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
	"sigs.k8s.io/sig-storage-lib-external-provisioner/v13/controller"
)

// volumeMode is the directories' mode: world-writable, so pods running as any non-root user can write
// (the same as local-path-provisioner's `mkdir -m 0777`).
const volumeMode fs.FileMode = 0o777

type hostPathProvisioner struct {
	root string // absolute and clean: every volume is a directory directly under it
	node string // the node the directories live on (the PVs' node affinity)
}

var _ controller.Provisioner = (*hostPathProvisioner)(nil)

func newHostPathProvisioner(root, node string) (*hostPathProvisioner, error) {
	if root == "" || !filepath.IsAbs(root) {
		return nil, fmt.Errorf("--root must be an absolute path, got %q", root)
	}
	if node == "" {
		return nil, errors.New("--node-name is required (the node the volume directories live on)")
	}
	root = filepath.Clean(root)
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("creating the volumes root: %w", err)
	}
	return &hostPathProvisioner{root: root, node: node}, nil
}

// Provision makes <root>/<pv>_<namespace>_<claim> (mode 0777) and returns a hostPath PV pinned to the node.
func (p *hostPathProvisioner) Provision(
	_ context.Context, opts controller.ProvisionOptions,
) (*v1.PersistentVolume, controller.ProvisioningState, error) {
	claim := opts.PVC
	if opts.SelectedNodeName != "" && opts.SelectedNodeName != p.node {
		return nil, controller.ProvisioningReschedule, fmt.Errorf(
			"claim %s/%s: node %q selected, but volumes are only provisioned on %q",
			claim.Namespace, claim.Name, opts.SelectedNodeName, p.node)
	}
	if claim.Spec.VolumeMode != nil && *claim.Spec.VolumeMode == v1.PersistentVolumeBlock {
		return nil, controller.ProvisioningFinished, fmt.Errorf(
			"claim %s/%s asks for a block volume: only volumeMode Filesystem is supported",
			claim.Namespace, claim.Name)
	}
	dir := filepath.Join(p.root, fmt.Sprintf("%s_%s_%s", opts.PVName, claim.Namespace, claim.Name))
	if _, err := p.inRoot(dir); err != nil { // a claim name cannot hold "/", but never trust it
		return nil, controller.ProvisioningFinished, err
	}
	if err := os.Mkdir(dir, volumeMode); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, controller.ProvisioningFinished, fmt.Errorf("creating %s: %w", dir, err)
	}
	if err := os.Chmod(dir, volumeMode); err != nil { // Mkdir's mode is masked by the umask
		return nil, controller.ProvisioningFinished, fmt.Errorf("chmod %s: %w", dir, err)
	}
	klog.InfoS("volume directory created", "claim", klog.KObj(claim), "pv", opts.PVName, "path", dir)

	reclaim := v1.PersistentVolumeReclaimDelete
	if opts.StorageClass != nil && opts.StorageClass.ReclaimPolicy != nil {
		reclaim = *opts.StorageClass.ReclaimPolicy
	}
	filesystem := v1.PersistentVolumeFilesystem
	directory := v1.HostPathDirectory // must exist: a missing one would be recreated root-owned 0755
	return &v1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: opts.PVName},
		Spec: v1.PersistentVolumeSpec{
			PersistentVolumeReclaimPolicy: reclaim,
			AccessModes:                   claim.Spec.AccessModes,
			VolumeMode:                    &filesystem,
			Capacity: v1.ResourceList{
				v1.ResourceStorage: claim.Spec.Resources.Requests[v1.ResourceStorage],
			},
			PersistentVolumeSource: v1.PersistentVolumeSource{
				HostPath: &v1.HostPathVolumeSource{Path: dir, Type: &directory},
			},
			NodeAffinity: &v1.VolumeNodeAffinity{Required: &v1.NodeSelector{
				NodeSelectorTerms: []v1.NodeSelectorTerm{{MatchExpressions: []v1.NodeSelectorRequirement{{
					Key: v1.LabelHostname, Operator: v1.NodeSelectorOpIn, Values: []string{p.node},
				}}}},
			}},
		},
	}, controller.ProvisioningFinished, nil
}

// Delete removes the volume's directory. It refuses any path that is not a directory directly under the
// root (another volume's parent, the root itself, a path elsewhere on the host, a symlink): a PV is an API
// object anyone with PV rights can write, and its path must never make this root process delete host files.
// Volumes of rancher.io/local-path (a state dir from before this provisioner) have the same layout.
func (p *hostPathProvisioner) Delete(_ context.Context, pv *v1.PersistentVolume) error {
	var path string
	switch {
	case pv.Spec.HostPath != nil:
		path = pv.Spec.HostPath.Path
	case pv.Spec.Local != nil:
		path = pv.Spec.Local.Path
	default:
		return fmt.Errorf("PV %s is neither a hostPath nor a local volume: nothing of ours to delete", pv.Name)
	}
	dir, err := p.inRoot(path)
	if err != nil {
		return fmt.Errorf("PV %s: %w", pv.Name, err)
	}
	info, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		klog.InfoS("volume directory already gone", "pv", pv.Name, "path", dir)
		return nil
	}
	if err != nil {
		return fmt.Errorf("PV %s: %w", pv.Name, err)
	}
	if !info.IsDir() { // a symlink (Lstat does not follow it) or a file: not a directory we made
		return fmt.Errorf("PV %s: refusing to delete %s: not a directory (%s)", pv.Name, dir, info.Mode().Type())
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("PV %s: removing %s: %w", pv.Name, dir, err)
	}
	klog.InfoS("volume directory removed", "pv", pv.Name, "path", dir)
	return nil
}

// inRoot returns the cleaned path if it names an entry directly under the root, else an error that says so.
func (p *hostPathProvisioner) inRoot(path string) (string, error) {
	clean := filepath.Clean(path)
	if !filepath.IsAbs(path) || filepath.Dir(clean) != p.root || clean == p.root {
		return "", fmt.Errorf(
			"refusing path %q: volumes are directories directly under %s (fix or delete the PV by hand)",
			path, p.root)
	}
	return clean, nil
}
