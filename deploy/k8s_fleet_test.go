package deploy_test

import (
	"errors"
	"fmt"
	"net"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// fleet is the decoded manifests by kind.
type fleet struct {
	namespace  string
	configMaps map[string]*corev1.ConfigMap
	secrets    map[string]*corev1.Secret
	services   []*corev1.Service
	sets       []*appsv1.StatefulSet
	pdbs       []*policyv1.PodDisruptionBudget
	jobs       []*batchv1.Job
	netpols    []*networkingv1.NetworkPolicy
	errs       []error
}

func (f *fleet) fail(format string, a ...any) { f.errs = append(f.errs, fmt.Errorf(format, a...)) }

// checkFleet checks what the manifests mean together: the StatefulSet of
// workers, its Service, PodDisruptionBudget and configuration, and the
// cameras Job.
func checkFleet(namespace string, objs []metav1.Object) error {
	f := &fleet{namespace: namespace, configMaps: map[string]*corev1.ConfigMap{}, secrets: map[string]*corev1.Secret{}}
	for _, o := range objs {
		switch o := o.(type) {
		case *corev1.Namespace:
			if f.namespace == "" {
				f.namespace = o.Name
			} else if o.Name != f.namespace {
				f.fail("Namespace %s, but the kustomization's namespace is %s", o.Name, f.namespace)
			}
		case *corev1.ConfigMap:
			f.configMaps[o.Name] = o
		case *corev1.Secret:
			f.secrets[o.Name] = o
		case *corev1.Service:
			f.services = append(f.services, o)
		case *appsv1.StatefulSet:
			f.sets = append(f.sets, o)
		case *policyv1.PodDisruptionBudget:
			f.pdbs = append(f.pdbs, o)
		case *batchv1.Job:
			f.jobs = append(f.jobs, o)
		case *networkingv1.NetworkPolicy:
			f.netpols = append(f.netpols, o)
		}
	}
	for _, o := range objs {
		if _, isNS := o.(*corev1.Namespace); !isNS && o.GetNamespace() != "" && o.GetNamespace() != f.namespace {
			f.fail("%s is in namespace %s, want %s", o.GetName(), o.GetNamespace(), f.namespace)
		}
	}
	if len(f.sets) != 1 || len(f.jobs) != 1 || len(f.pdbs) != 1 {
		f.fail("want one StatefulSet, one Job, one PodDisruptionBudget; have %d, %d, %d", len(f.sets), len(f.jobs), len(f.pdbs))
		return errors.Join(f.errs...)
	}
	f.checkWorkers(f.sets[0])
	f.checkCamerasJob(f.jobs[0])
	return errors.Join(f.errs...)
}

// checkWorkers checks the StatefulSet of workers and what refers to it.
func (f *fleet) checkWorkers(ss *appsv1.StatefulSet) {
	pod := ss.Spec.Template
	podLabels := labels.Set(pod.Labels)
	if sel, err := metav1.LabelSelectorAsSelector(ss.Spec.Selector); err != nil || sel.Empty() || !sel.Matches(podLabels) {
		f.fail("StatefulSet %s: selector does not match its pod labels (%v)", ss.Name, err)
	}
	if ss.Spec.Replicas == nil || *ss.Spec.Replicas < 2 {
		f.fail("StatefulSet %s: want at least 2 replicas", ss.Name)
	}
	f.checkService(ss, podLabels)
	pdb := f.pdbs[0]
	if sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector); err != nil || sel.Empty() || !sel.Matches(podLabels) {
		f.fail("PodDisruptionBudget %s: selector does not match the pods of StatefulSet %s", pdb.Name, ss.Name)
	}
	if pdb.Spec.MaxUnavailable == nil || *pdb.Spec.MaxUnavailable != intstr.FromInt32(1) {
		f.fail("PodDisruptionBudget %s: want maxUnavailable 1", pdb.Name)
	}
	f.checkNetworkPolicy(ss.Name, podLabels)
	spec := pod.Spec
	f.checkPodSecurity("StatefulSet "+ss.Name, spec)
	pulls := false
	for _, c := range spec.InitContainers {
		pulls = pulls || (len(c.Args) >= 2 && c.Args[0] == "models" && c.Args[1] == "pull")
	}
	if !pulls {
		f.fail("StatefulSet %s: no initContainer runs patrol models pull", ss.Name)
	}
	c := findContainer(spec.Containers, "run")
	if c == nil {
		f.fail("StatefulSet %s: no container runs patrol run", ss.Name)
		return
	}
	podName := ss.Name + "-0"
	env := f.containerEnv(c, podName)
	if env["WORKER"] != podName {
		f.fail("container %s: WORKER is %q, want the pod's name (fieldRef metadata.name)", c.Name, env["WORKER"])
	}
	cfgRaw, err := f.mountedFile(spec, c, flagValue(c.Args, "-config"))
	if err != nil {
		f.fail("container %s: -config: %v", c.Name, err)
		return
	}
	cfg, err := parseWorker(cfgRaw, env)
	if err != nil {
		f.fail("container %s: worker configuration: %v", c.Name, err)
		return
	}
	if err := checkFleetConfig(cfg); err != nil {
		f.fail("container %s: worker configuration: %v", c.Name, err)
	}
	// data_dir is on the volume claim.
	claims := map[string]bool{}
	for _, pvc := range ss.Spec.VolumeClaimTemplates {
		claims[pvc.Name] = true
	}
	onClaim := false
	for _, m := range c.VolumeMounts {
		if claims[m.Name] && path.Clean(m.MountPath) == path.Clean(cfg.DataDir) && m.SubPath == "" {
			onClaim = true
		}
	}
	if !onClaim {
		f.fail("container %s: data_dir %s is not the mount of a volumeClaimTemplate", c.Name, cfg.DataDir)
	}
	// Metrics, probes and shutdown.
	_, port, err := net.SplitHostPort(cfg.Monitoring.MetricsAddress)
	if err != nil {
		f.fail("monitoring.metrics_address %q: %v", cfg.Monitoring.MetricsAddress, err)
	}
	for name, p := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/healthz" {
			f.fail("container %s: %s probe: want httpGet /healthz", c.Name, name)
			continue
		}
		if got := containerPort(c, p.HTTPGet.Port); strconv.Itoa(int(got)) != port {
			f.fail("container %s: %s probe on port %d, the metrics server listens on %s", c.Name, name, got, port)
		}
	}
	if g := spec.TerminationGracePeriodSeconds; g == nil || time.Duration(*g)*time.Second <= cfg.ShutdownTimeout {
		f.fail("StatefulSet %s: terminationGracePeriodSeconds must exceed shutdown_timeout %s", ss.Name, cfg.ShutdownTimeout)
	}
	r := c.Resources
	for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, okReq := r.Requests[res]
		lim, okLim := r.Limits[res]
		if !okReq || !okLim || lim.Cmp(req) < 0 {
			f.fail("container %s: %s: want a request and a limit at least as large", c.Name, res)
		}
	}
}

// checkService checks the headless Service of the StatefulSet.
func (f *fleet) checkService(ss *appsv1.StatefulSet, podLabels labels.Set) {
	for _, s := range f.services {
		if s.Name != ss.Spec.ServiceName {
			continue
		}
		if s.Spec.ClusterIP != corev1.ClusterIPNone {
			f.fail("Service %s: the StatefulSet's service must be headless (clusterIP: None)", s.Name)
		}
		if len(s.Spec.Selector) == 0 || !labels.SelectorFromSet(s.Spec.Selector).Matches(podLabels) {
			f.fail("Service %s: selector %v does not match the pods of StatefulSet %s", s.Name, s.Spec.Selector, ss.Name)
		}
		for _, p := range s.Spec.Ports {
			if c := findContainer(ss.Spec.Template.Spec.Containers, "run"); c != nil && containerPort(c, p.TargetPort) == 0 {
				f.fail("Service %s: targetPort %s is no port of the worker", s.Name, p.TargetPort.String())
			}
		}
		return
	}
	f.fail("StatefulSet %s: serviceName %q: no such Service", ss.Name, ss.Spec.ServiceName)
}

// checkCamerasJob checks the Job of patrol cameras apply: its worker
// configuration and camera list load, with the Job's environment.
func (f *fleet) checkCamerasJob(job *batchv1.Job) {
	spec := job.Spec.Template.Spec
	f.checkPodSecurity("Job "+job.Name, spec)
	if spec.RestartPolicy == corev1.RestartPolicyAlways {
		f.fail("Job %s: restartPolicy Always", job.Name)
	}
	c := findContainer(spec.Containers, "cameras")
	if c == nil || len(c.Args) < 2 || c.Args[1] != "apply" {
		f.fail("Job %s: no container runs patrol cameras apply", job.Name)
		return
	}
	env := f.containerEnv(c, job.Name+"-x")
	cfgRaw, err := f.mountedFile(spec, c, flagValue(c.Args, "-config"))
	if err != nil {
		f.fail("Job %s: -config: %v", job.Name, err)
		return
	}
	if cfg, err := parseWorker(cfgRaw, env); err != nil {
		f.fail("Job %s: worker configuration: %v", job.Name, err)
	} else if !cfg.Cluster.Enabled {
		f.fail("Job %s: the worker configuration has cluster.enabled false", job.Name)
	}
	camsRaw, err := f.mountedFile(spec, c, flagValue(c.Args, "-f"))
	if err != nil {
		f.fail("Job %s: -f: %v", job.Name, err)
		return
	}
	if _, err := parseCameras(cfgRaw, camsRaw, env); err != nil {
		f.fail("Job %s: %v", job.Name, err)
	}
}

// checkPodSecurity requires every container of a pod to run as a user
// other than root.
func (f *fleet) checkPodSecurity(what string, spec corev1.PodSpec) {
	for _, c := range append(append([]corev1.Container{}, spec.InitContainers...), spec.Containers...) {
		nonRoot, uid := false, int64(-1)
		if p := spec.SecurityContext; p != nil {
			nonRoot = p.RunAsNonRoot != nil && *p.RunAsNonRoot
			if p.RunAsUser != nil {
				uid = *p.RunAsUser
			}
		}
		if s := c.SecurityContext; s != nil {
			if s.RunAsNonRoot != nil {
				nonRoot = *s.RunAsNonRoot
			}
			if s.RunAsUser != nil {
				uid = *s.RunAsUser
			}
			if s.Privileged != nil && *s.Privileged {
				f.fail("%s: container %s is privileged", what, c.Name)
			}
		}
		if !nonRoot || uid == 0 {
			f.fail("%s: container %s may run as root (want runAsNonRoot and a non-zero runAsUser)", what, c.Name)
		}
	}
}

// containerEnv resolves a container's environment as the kubelet would for
// a pod of the given name: values, the downward API and Secret keys.
func (f *fleet) containerEnv(c *corev1.Container, podName string) map[string]string {
	env := map[string]string{}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = e.Value
		case e.ValueFrom.FieldRef != nil:
			switch e.ValueFrom.FieldRef.FieldPath {
			case "metadata.name":
				env[e.Name] = podName
			case "metadata.namespace":
				env[e.Name] = f.namespace
			default:
				f.fail("container %s: env %s: fieldRef %s not resolved by this test", c.Name, e.Name, e.ValueFrom.FieldRef.FieldPath)
			}
		case e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			s, ok := f.secrets[ref.Name]
			v, hasString := "", false
			if ok {
				v, hasString = s.StringData[ref.Key]
				if d, hasData := s.Data[ref.Key]; !hasString && hasData {
					v, hasString = string(d), true
				}
			}
			if !hasString {
				f.fail("container %s: env %s: Secret %s has no key %s", c.Name, e.Name, ref.Name, ref.Key)
				continue
			}
			env[e.Name] = v
		default:
			f.fail("container %s: env %s: valueFrom not resolved by this test", c.Name, e.Name)
		}
	}
	return env
}

// mountedFile returns the content of the file at p in container c, from
// the ConfigMap (or projected ConfigMaps) mounted over p's directory.
func (f *fleet) mountedFile(spec corev1.PodSpec, c *corev1.Container, p string) ([]byte, error) {
	if p == "" {
		return nil, errors.New("no path")
	}
	for _, m := range c.VolumeMounts {
		if m.SubPath != "" || path.Dir(p) != path.Clean(m.MountPath) {
			continue
		}
		key := path.Base(p)
		for _, v := range spec.Volumes {
			if v.Name != m.Name {
				continue
			}
			var refs []*corev1.ConfigMapProjection
			switch {
			case v.ConfigMap != nil:
				refs = append(refs, &corev1.ConfigMapProjection{LocalObjectReference: v.ConfigMap.LocalObjectReference, Items: v.ConfigMap.Items})
			case v.Projected != nil:
				for _, s := range v.Projected.Sources {
					if s.ConfigMap != nil {
						refs = append(refs, s.ConfigMap)
					}
				}
			}
			for _, ref := range refs {
				cm, ok := f.configMaps[ref.Name]
				if !ok {
					return nil, fmt.Errorf("volume %s: no ConfigMap %s", v.Name, ref.Name)
				}
				k := key
				for _, it := range ref.Items {
					if it.Path == key {
						k = it.Key
					}
				}
				if data, ok := cm.Data[k]; ok {
					return []byte(data), nil
				}
			}
			return nil, fmt.Errorf("%s: volume %s holds no %s", p, v.Name, key)
		}
	}
	return nil, fmt.Errorf("%s: no ConfigMap mounted over %s", p, path.Dir(p))
}

// findContainer returns the container whose first argument is arg0.
func findContainer(cs []corev1.Container, arg0 string) *corev1.Container {
	for i := range cs {
		if len(cs[i].Args) > 0 && cs[i].Args[0] == arg0 {
			return &cs[i]
		}
	}
	return nil
}

// flagValue returns the value of a "-name value" flag in args.
func flagValue(args []string, name string) string {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == name || args[i] == "-"+name {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(args[i], name+"="); ok {
			return v
		}
	}
	return ""
}

// containerPort resolves a port by number or name to a port of c (0: none).
func containerPort(c *corev1.Container, p intstr.IntOrString) int32 {
	for _, cp := range c.Ports {
		if (p.Type == intstr.Int && cp.ContainerPort == p.IntVal) || (p.Type == intstr.String && cp.Name == p.StrVal) {
			return cp.ContainerPort
		}
	}
	return 0
}

// checkNetworkPolicy: a NetworkPolicy selects the workers' pods for
// ingress, and each of its rules names its peers (none open to the whole
// cluster) and only the metrics port.
func (f *fleet) checkNetworkPolicy(set string, podLabels labels.Set) {
	for _, np := range f.netpols {
		sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
		if err != nil || sel.Empty() || !sel.Matches(podLabels) || !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) {
			continue
		}
		for i, r := range np.Spec.Ingress {
			if len(r.From) == 0 {
				f.fail("NetworkPolicy %s: ingress[%d] admits every peer", np.Name, i)
			}
			for _, p := range r.Ports {
				if p.Port == nil || p.Port.String() != "metrics" {
					f.fail("NetworkPolicy %s: ingress[%d] opens port %v, want only metrics", np.Name, i, p.Port)
				}
			}
		}
		return
	}
	f.fail("no NetworkPolicy selects the pods of StatefulSet %s for ingress", set)
}
