package deploy_test

// The manifests of deploy/k8s are decoded strictly into the Kubernetes API
// types of k8s.io/api, as the API server decodes them (case-sensitive,
// unknown and duplicate fields are errors). kubeconform would check them
// against the OpenAPI schemas, but it downloads those schemas from the
// internet, which this machine cannot reach; the typed decoding catches the
// same unknown fields and wrong types, and the checks below add what the
// fleet needs.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

const k8sDir = "k8s"

// apiKinds are the kinds the manifests may use, by apiVersion/kind.
var apiKinds = map[string]func() metav1.Object{
	"v1/Namespace":                       func() metav1.Object { return new(corev1.Namespace) },
	"v1/ConfigMap":                       func() metav1.Object { return new(corev1.ConfigMap) },
	"v1/Secret":                          func() metav1.Object { return new(corev1.Secret) },
	"v1/Service":                         func() metav1.Object { return new(corev1.Service) },
	"apps/v1/StatefulSet":                func() metav1.Object { return new(appsv1.StatefulSet) },
	"policy/v1/PodDisruptionBudget":      func() metav1.Object { return new(policyv1.PodDisruptionBudget) },
	"batch/v1/Job":                       func() metav1.Object { return new(batchv1.Job) },
	"networking.k8s.io/v1/NetworkPolicy": func() metav1.Object { return new(networkingv1.NetworkPolicy) },
}

// kustomization is the part of kustomize's Kustomization the directory uses.
type kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Namespace  string   `json:"namespace"`
	Resources  []string `json:"resources"`
	Images     []struct {
		Name    string `json:"name"`
		NewName string `json:"newName,omitempty"`
		NewTag  string `json:"newTag,omitempty"`
		Digest  string `json:"digest,omitempty"`
	} `json:"images"`
}

// readManifestFiles returns every YAML file of deploy/k8s by name.
func readManifestFiles(t *testing.T) map[string][]byte {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(k8sDir, "*.yaml"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no manifests in %s (%v)", k8sDir, err)
	}
	out := map[string][]byte{}
	for _, n := range names {
		out[filepath.Base(n)] = readFile(t, n)
	}
	return out
}

// decodeStrict decodes one YAML document into obj as the API server would.
func decodeStrict(doc []byte, obj any) error {
	js, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return err
	}
	strict, err := sigsjson.UnmarshalStrict(js, obj)
	if err != nil {
		return err
	}
	return errors.Join(strict...)
}

// decodeManifests decodes every document of a file into the typed object
// of its kind; an unknown kind is an error.
func decodeManifests(name string, raw []byte) ([]metav1.Object, error) {
	var out []metav1.Object
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(raw)))
	for i := 0; ; i++ {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if js, err := yaml.YAMLToJSON(doc); err == nil && string(js) == "null" {
			continue // comments only
		}
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			return nil, fmt.Errorf("%s document %d: %w", name, i, err)
		}
		newObj, ok := apiKinds[tm.APIVersion+"/"+tm.Kind]
		if !ok {
			return nil, fmt.Errorf("%s document %d: unknown kind %q of apiVersion %q", name, i, tm.Kind, tm.APIVersion)
		}
		obj := newObj()
		if err := decodeStrict(doc, obj); err != nil {
			return nil, fmt.Errorf("%s: %s %s: %w", name, tm.Kind, obj.GetName(), err)
		}
		if obj.GetName() == "" {
			return nil, fmt.Errorf("%s: %s without metadata.name", name, tm.Kind)
		}
		out = append(out, obj)
	}
}

// validateManifests decodes every file of deploy/k8s (by name) and checks
// the fleet they describe.
func validateManifests(files map[string][]byte) error {
	var k kustomization
	raw, ok := files["kustomization.yaml"]
	if !ok {
		return errors.New("no kustomization.yaml")
	}
	if err := decodeStrict(raw, &k); err != nil {
		return fmt.Errorf("kustomization.yaml: %w", err)
	}
	var errs []error
	if k.APIVersion != "kustomize.config.k8s.io/v1beta1" || k.Kind != "Kustomization" {
		errs = append(errs, fmt.Errorf("kustomization.yaml: %s %s", k.APIVersion, k.Kind))
	}
	listed := map[string]bool{}
	for _, r := range k.Resources {
		listed[r] = true
		if _, ok := files[r]; !ok {
			errs = append(errs, fmt.Errorf("kustomization.yaml lists %s, which does not exist", r))
		}
	}
	var objs []metav1.Object
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if n == "kustomization.yaml" {
			continue
		}
		if !listed[n] {
			errs = append(errs, fmt.Errorf("kustomization.yaml does not list %s", n))
		}
		o, err := decodeManifests(n, files[n])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		objs = append(objs, o...)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	return checkFleet(k.Namespace, objs)
}

func TestManifests(t *testing.T) {
	if err := validateManifests(readManifestFiles(t)); err != nil {
		t.Fatal(err)
	}
}

// TestManifestDirectory checks that deploy/k8s holds only manifests.
func TestManifestDirectory(t *testing.T) {
	ents, err := os.ReadDir(k8sDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".yaml") {
			t.Errorf("%s/%s: not a .yaml manifest", k8sDir, e.Name())
		}
	}
}
