package deploy_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

// composeEnv is the environment the compose file is loaded with: the
// MinIO credentials that docker compose would take from the shell.
var composeEnv = map[string]string{"S3_ACCESS_KEY": "test-access", "S3_SECRET_KEY": "test-secret-key"}

// loadCompose loads a compose file with compose-go, the loader of docker
// compose: it validates the file against the Compose specification's JSON
// schema embedded in the module (an unknown key is an error), interpolates
// the variables of env and resolves paths against the deploy directory.
func loadCompose(raw []byte, env map[string]string) (*types.Project, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	return loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  wd,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(wd, "compose.yaml"), Content: raw}},
		Environment: env,
	}, func(o *loader.Options) {
		o.SetProjectName("patrol-fleet", true)
		o.ResolvePaths = true
	})
}

// validateCompose loads the compose file and checks the fleet it runs.
func validateCompose(raw []byte) error {
	p, err := loadCompose(raw, composeEnv)
	if err != nil {
		return err
	}
	c := &composeCheck{p: p}
	c.brokers()
	c.minio()
	c.workers()
	c.cameras()
	return errors.Join(c.errs...)
}

// composeCheck collects the problems of one project.
type composeCheck struct {
	p       *types.Project
	kafka   map[string]bool // service name -> is a broker
	minioSv string
	errs    []error
}

func (c *composeCheck) fail(format string, a ...any) {
	c.errs = append(c.errs, fmt.Errorf(format, a...))
}

// services returns the names of the services that pass keep, sorted.
func (c *composeCheck) services(keep func(types.ServiceConfig) bool) []string {
	var out []string
	for name, s := range c.p.Services {
		if keep(s) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

func env(s types.ServiceConfig, k string) string {
	if v := s.Environment[k]; v != nil {
		return *v
	}
	return ""
}

// envMap is a service's environment as a plain map.
func envMap(s types.ServiceConfig) map[string]string {
	out := map[string]string{}
	for k, v := range s.Environment {
		if v != nil {
			out[k] = *v
		}
	}
	return out
}

// brokers checks three Kafka nodes in KRaft mode, each broker and
// controller, of one cluster id, each a voter of the quorum.
func (c *composeCheck) brokers() {
	names := c.services(func(s types.ServiceConfig) bool { return strings.HasPrefix(s.Image, "apache/kafka:") })
	if len(names) != 3 {
		c.fail("%d kafka services (apache/kafka), want 3", len(names))
	}
	c.kafka = map[string]bool{}
	ids, clusterIDs, voters := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, n := range names {
		s := c.p.Services[n]
		c.kafka[n] = true
		if roles := env(s, "KAFKA_PROCESS_ROLES"); roles != "broker,controller" && roles != "controller,broker" {
			c.fail("%s: KAFKA_PROCESS_ROLES %q, want broker,controller", n, roles)
		}
		id := env(s, "KAFKA_NODE_ID")
		if id == "" || ids[id] {
			c.fail("%s: KAFKA_NODE_ID %q missing or not unique", n, id)
		}
		ids[id] = true
		clusterIDs[env(s, "CLUSTER_ID")] = true
		voters[env(s, "KAFKA_CONTROLLER_QUORUM_VOTERS")] = true
		if adv := env(s, "KAFKA_ADVERTISED_LISTENERS"); !strings.Contains(adv, "//"+n+":") {
			c.fail("%s: KAFKA_ADVERTISED_LISTENERS %q does not name the service", n, adv)
		}
	}
	if len(clusterIDs) != 1 || clusterIDs[""] {
		c.fail("kafka: want one shared CLUSTER_ID, have %d", len(clusterIDs))
	}
	if len(voters) != 1 {
		c.fail("kafka: KAFKA_CONTROLLER_QUORUM_VOTERS differ between nodes")
	}
	for v := range voters {
		for _, n := range names {
			if !strings.Contains(v, env(c.p.Services[n], "KAFKA_NODE_ID")+"@"+n+":") {
				c.fail("kafka: quorum voters %q lack %s", v, n)
			}
		}
	}
}

// minio checks one MinIO with the credentials of the workers.
func (c *composeCheck) minio() {
	names := c.services(func(s types.ServiceConfig) bool { return strings.HasPrefix(s.Image, "minio/minio") })
	if len(names) != 1 {
		c.fail("%d minio services, want 1", len(names))
		return
	}
	c.minioSv = names[0]
	s := c.p.Services[c.minioSv]
	if env(s, "MINIO_ROOT_USER") != composeEnv["S3_ACCESS_KEY"] || env(s, "MINIO_ROOT_PASSWORD") != composeEnv["S3_SECRET_KEY"] {
		c.fail("minio: root credentials are not ${S3_ACCESS_KEY}/${S3_SECRET_KEY}")
	}
}

// patrolImage reports whether a service is built from deploy/Dockerfile
// with the repository root as context.
func patrolImage(s types.ServiceConfig) bool {
	if s.Build == nil || filepath.ToSlash(s.Build.Dockerfile) != "deploy/Dockerfile" && !strings.HasSuffix(filepath.ToSlash(s.Build.Dockerfile), "/deploy/Dockerfile") {
		return false
	}
	_, err := os.Stat(filepath.Join(s.Build.Context, "go.mod"))
	return err == nil
}

// mountedFile reads the host file bind-mounted at target in s.
func mountedFile(s types.ServiceConfig, target string) ([]byte, error) {
	for _, v := range s.Volumes {
		if v.Type == types.VolumeTypeBind && v.Target == target {
			return os.ReadFile(v.Source)
		}
	}
	return nil, fmt.Errorf("nothing mounted at %s", target)
}

// workers checks two workers of the patrol image sharing one cluster
// configuration, each with its own name, data volume and metrics address.
func (c *composeCheck) workers() {
	names := c.services(func(s types.ServiceConfig) bool { return len(s.Command) > 0 && s.Command[0] == "run" })
	if len(names) != 2 {
		c.fail("%d worker services (command run), want 2", len(names))
	}
	seenWorker, seenVolume := map[string]bool{}, map[string]bool{}
	for _, n := range names {
		s := c.p.Services[n]
		if !patrolImage(s) {
			c.fail("%s: not built from deploy/Dockerfile with the repository as context", n)
		}
		e := envMap(s)
		for _, k := range []string{"WORKER", "DATA_DIR", "METRICS_ADDR"} {
			if e[k] == "" {
				c.fail("%s: environment %s not set", n, k)
			}
		}
		if seenWorker[e["WORKER"]] {
			c.fail("%s: WORKER %q is another worker's too", n, e["WORKER"])
		}
		seenWorker[e["WORKER"]] = true
		data := ""
		for _, v := range s.Volumes {
			if v.Type == types.VolumeTypeVolume && filepath.Clean(v.Target) == filepath.Clean(e["DATA_DIR"]) {
				data = v.Source
			}
		}
		if data == "" || seenVolume[data] {
			c.fail("%s: DATA_DIR %s is not on a named volume of its own (%q)", n, e["DATA_DIR"], data)
		}
		seenVolume[data] = true
		raw, err := mountedFile(s, flagValue(s.Command, "-config"))
		if err != nil {
			c.fail("%s: -config: %v", n, err)
			continue
		}
		cfg, err := parseWorker(raw, e)
		if err != nil {
			c.fail("%s: worker configuration: %v", n, err)
			continue
		}
		if err := checkFleetConfig(cfg); err != nil {
			c.fail("%s: worker configuration: %v", n, err)
		}
		if cfg.Worker != e["WORKER"] || cfg.DataDir != e["DATA_DIR"] || cfg.Monitoring.MetricsAddress != e["METRICS_ADDR"] {
			c.fail("%s: worker, data_dir and monitoring.metrics_address must be ${WORKER}, ${DATA_DIR}, ${METRICS_ADDR}", n)
		}
		for _, b := range cfg.Kafka.Brokers {
			if host, _, _ := net.SplitHostPort(b); !c.kafka[host] {
				c.fail("%s: kafka broker %s is no kafka service", n, b)
			}
		}
		if host, _, _ := net.SplitHostPort(cfg.Evidence.Endpoint); host != c.minioSv {
			c.fail("%s: evidence.endpoint %s is not the minio service", n, cfg.Evidence.Endpoint)
		}
		if cfg.Evidence.AccessKey != composeEnv["S3_ACCESS_KEY"] {
			c.fail("%s: evidence.access_key is not ${S3_ACCESS_KEY} of the compose environment", n)
		}
		for dep := range c.kafka {
			if _, ok := s.DependsOn[dep]; !ok {
				c.fail("%s: does not depend on %s", n, dep)
			}
		}
	}
}

// cameras checks the simulated camera and the one-shot cameras service:
// the cameras it applies load against the workers' rules and stream from
// the simulator's scenes.
func (c *composeCheck) cameras() {
	sims := c.services(func(s types.ServiceConfig) bool { return len(s.Command) > 0 && s.Command[0] == "sim" })
	if len(sims) != 1 {
		c.fail("%d camera simulators (command sim), want 1", len(sims))
		return
	}
	sim := c.p.Services[sims[0]]
	_, simPort, err := net.SplitHostPort(flagValue(sim.Command, "-listen"))
	if err != nil || !patrolImage(sim) {
		c.fail("%s: want patrol sim -listen host:port from the patrol image (%v)", sims[0], err)
	}
	scenes := map[string]bool{}
	for i, a := range sim.Command {
		if a == "-scene" && i+1 < len(sim.Command) {
			scenes[sim.Command[i+1]] = true
		}
	}
	jobs := c.services(func(s types.ServiceConfig) bool {
		return len(s.Command) > 1 && s.Command[0] == "cameras" && s.Command[1] == "apply"
	})
	if len(jobs) != 1 {
		c.fail("%d cameras apply services, want 1", len(jobs))
		return
	}
	job := c.p.Services[jobs[0]]
	if job.Restart != "" && job.Restart != types.RestartPolicyNo {
		c.fail("%s: a one-shot service, want restart no", jobs[0])
	}
	cfgRaw, err := mountedFile(job, flagValue(job.Command, "-config"))
	if err != nil {
		c.fail("%s: -config: %v", jobs[0], err)
		return
	}
	if _, err := parseWorker(cfgRaw, envMap(job)); err != nil {
		c.fail("%s: worker configuration: %v", jobs[0], err)
	}
	camsRaw, err := mountedFile(job, flagValue(job.Command, "-f"))
	if err != nil {
		c.fail("%s: -f: %v", jobs[0], err)
		return
	}
	cams, err := parseCameras(cfgRaw, camsRaw, envMap(job))
	if err != nil {
		c.fail("%s: %v", jobs[0], err)
		return
	}
	for _, cam := range cams {
		u, err := url.Parse(cam.URL)
		if err != nil || u.Hostname() != sims[0] || u.Port() != simPort || !scenes[strings.TrimPrefix(u.Path, "/")] {
			c.fail("camera %s: %s is not a scene of the simulator %s", cam.ID, cam.URL, sims[0])
		}
	}
}

func TestCompose(t *testing.T) {
	if err := validateCompose(readFile(t, "compose.yaml")); err != nil {
		t.Fatal(err)
	}
}
