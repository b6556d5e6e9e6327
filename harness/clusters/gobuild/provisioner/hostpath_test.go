package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/sig-storage-lib-external-provisioner/v13/controller"
)

const node = "tcb-local"

func newTestProvisioner(t *testing.T) *hostPathProvisioner {
	t.Helper()
	p, err := newHostPathProvisioner(filepath.Join(t.TempDir(), "volumes"), node)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func options(pvName string) controller.ProvisionOptions {
	retain := v1.PersistentVolumeReclaimRetain
	return controller.ProvisionOptions{
		StorageClass:     &storagev1.StorageClass{ReclaimPolicy: &retain},
		PVName:           pvName,
		SelectedNodeName: node,
		PVC: &v1.PersistentVolumeClaim{
			ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "data"},
			Spec: v1.PersistentVolumeClaimSpec{
				AccessModes: []v1.PersistentVolumeAccessMode{v1.ReadWriteOnce},
				Resources: v1.VolumeResourceRequirements{
					Requests: v1.ResourceList{v1.ResourceStorage: resource.MustParse("1Gi")},
				},
			},
		},
	}
}

func hostPathPV(name, path string) *v1.PersistentVolume {
	return &v1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1.PersistentVolumeSpec{PersistentVolumeSource: v1.PersistentVolumeSource{
			HostPath: &v1.HostPathVolumeSource{Path: path},
		}},
	}
}

func TestProvisionMakesAWorldWritableDirectoryAndAPinnedHostPathVolume(t *testing.T) {
	p := newTestProvisioner(t)
	pv, state, err := p.Provision(context.Background(), options("pvc-1"))
	if err != nil || state != controller.ProvisioningFinished {
		t.Fatalf("Provision: %v (%s)", err, state)
	}
	want := filepath.Join(p.root, "pvc-1_ns_data")
	if pv.Spec.HostPath == nil || pv.Spec.HostPath.Path != want {
		t.Fatalf("hostPath %+v, want path %s", pv.Spec.HostPath, want)
	}
	info, err := os.Stat(want)
	if err != nil || !info.IsDir() || info.Mode().Perm() != 0o777 {
		t.Fatalf("directory %s: %v, mode %v; want a directory with mode 0777", want, err, info)
	}
	terms := pv.Spec.NodeAffinity.Required.NodeSelectorTerms
	if len(terms) != 1 || terms[0].MatchExpressions[0].Key != v1.LabelHostname ||
		terms[0].MatchExpressions[0].Values[0] != node {
		t.Fatalf("node affinity %+v, want %s=%s", terms, v1.LabelHostname, node)
	}
	if pv.Spec.PersistentVolumeReclaimPolicy != v1.PersistentVolumeReclaimRetain {
		t.Fatalf("reclaim policy %s, want the class's Retain", pv.Spec.PersistentVolumeReclaimPolicy)
	}
	if got := pv.Spec.Capacity[v1.ResourceStorage]; got.String() != "1Gi" {
		t.Fatalf("capacity %s, want the claim's 1Gi", got.String())
	}
	// a retry of the same claim (the library calls again after a failed PV create) finds the directory
	if _, _, err := p.Provision(context.Background(), options("pvc-1")); err != nil {
		t.Fatalf("second Provision of the same volume: %v", err)
	}
}

func TestProvisionRefusesAnotherNodeAndBlockVolumes(t *testing.T) {
	p := newTestProvisioner(t)
	other := options("pvc-2")
	other.SelectedNodeName = "elsewhere"
	if _, state, err := p.Provision(context.Background(), other); err == nil || state != controller.ProvisioningReschedule {
		t.Fatalf("another node: err %v state %s, want an error and Reschedule", err, state)
	}
	block := options("pvc-3")
	mode := v1.PersistentVolumeBlock
	block.PVC.Spec.VolumeMode = &mode
	if _, _, err := p.Provision(context.Background(), block); err == nil || !strings.Contains(err.Error(), "block") {
		t.Fatalf("block volume: err %v, want a refusal naming block volumes", err)
	}
	if entries, _ := os.ReadDir(p.root); len(entries) != 0 {
		t.Fatalf("refused claims left %d entries under the root", len(entries))
	}
}

func TestDeleteRemovesTheDirectoryAndItsContents(t *testing.T) {
	p := newTestProvisioner(t)
	pv, _, err := p.Provision(context.Background(), options("pvc-4"))
	if err != nil {
		t.Fatal(err)
	}
	dir := pv.Spec.HostPath.Path
	if err := os.MkdirAll(filepath.Join(dir, "pgdata", "base"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := p.Delete(context.Background(), pv); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := os.Lstat(dir); !os.IsNotExist(err) {
		t.Fatalf("%s still exists after Delete (%v)", dir, err)
	}
	if err := p.Delete(context.Background(), pv); err != nil { // a retry after success
		t.Fatalf("Delete of a volume already gone: %v", err)
	}
}

func TestDeleteRemovesAVolumeOfTheOldLocalPathProvisioner(t *testing.T) {
	p := newTestProvisioner(t)
	dir := filepath.Join(p.root, "pvc-5_ns_data") // rancher.io/local-path's layout
	if err := os.Mkdir(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	pv := hostPathPV("pvc-5", dir)
	pv.Annotations = map[string]string{"pv.kubernetes.io/provisioned-by": "rancher.io/local-path"}
	if err := p.Delete(context.Background(), pv); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := os.Lstat(dir); !os.IsNotExist(err) {
		t.Fatalf("%s still exists", dir)
	}
}

func TestDeleteRefusesEveryPathThatIsNotAVolumeDirectoryUnderTheRoot(t *testing.T) {
	p := newTestProvisioner(t)
	outside := t.TempDir() // a host directory outside the root, with content that must survive
	keep := filepath.Join(outside, "keep")
	if err := os.WriteFile(keep, []byte("host data"), 0o600); err != nil {
		t.Fatal(err)
	}
	nested := filepath.Join(p.root, "a", "b")
	if err := os.MkdirAll(nested, 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(p.root, "pvc-link_ns_data")
	if err := os.Symlink(outside, link); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{
		outside,                          // elsewhere on the host
		p.root,                           // the root itself: every volume
		filepath.Dir(p.root),             // its parent
		filepath.Join(p.root, "..", "x"), // climbs out
		nested,                           // not directly under the root
		"relative/pvc-6",                 // not absolute
		link,                             // a symlink under the root, pointing outside
	} {
		if err := p.Delete(context.Background(), hostPathPV("pvc-x", path)); err == nil {
			t.Errorf("Delete(%q) succeeded, want a refusal", path)
		} else if !strings.Contains(err.Error(), "refusing") {
			t.Errorf("Delete(%q): %v, want an error saying it refuses", path, err)
		}
	}
	if _, err := os.Stat(keep); err != nil {
		t.Fatalf("a refused Delete removed host data: %v", err)
	}
	if _, err := os.Stat(nested); err != nil {
		t.Fatalf("a refused Delete removed %s: %v", nested, err)
	}
	if _, err := os.Stat(p.root); err != nil {
		t.Fatalf("a refused Delete removed the root: %v", err)
	}
	local := &v1.PersistentVolume{Spec: v1.PersistentVolumeSpec{PersistentVolumeSource: v1.PersistentVolumeSource{
		Local: &v1.LocalVolumeSource{Path: outside},
	}}}
	if err := p.Delete(context.Background(), local); err == nil {
		t.Error("Delete of a local volume outside the root succeeded")
	}
}
