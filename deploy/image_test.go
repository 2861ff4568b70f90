package deploy_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/segmentio/kafka-go"
)

// The worker's shutdown_timeout in TestImage's configuration (the default,
// which deploy/fleet/worker.yaml and the StatefulSet's grace period assume).
const imageShutdownTimeout = 20 * time.Second

// imageTmpfs are the only writable file systems TestImage gives the worker:
// its data_dir (outbox, open cases, stream history) and its asset cache (the
// ONNX Runtime wheel fetched at start and the library extracted from it).
// The image is built without assets (PULL_ASSETS=0); the asset mirror is
// mounted read-only at the image's PATROL_ASSET_MIRROR.
var imageTmpfs = []string{"/var/lib/patrol", "/var/cache/patrol"}

// TestImage runs the container image of deploy/Dockerfile, built by
// deploy/testenv/image.sh, as a worker against the real Kafka and MinIO,
// with a simulated camera served by the same image, and checks what a
// deployment relies on: a case arrives on Kafka with its evidence in MinIO;
// the worker runs as uid 10001 on a read-only root file system; /healthz
// answers; SIGTERM stops it within shutdown_timeout.
//
// Needs PATROL_TEST_IMAGE (the image), PATROL_TEST_KAFKA, PATROL_TEST_S3
// and PATROL_ASSET_MIRROR; make test sets them (deploy/testenv/test.sh).
func TestImage(t *testing.T) {
	img := os.Getenv("PATROL_TEST_IMAGE")
	if img == "" {
		t.Skip("PATROL_TEST_IMAGE is not set: build the image with deploy/testenv/image.sh and export the variables of `deploy/testenv/image.sh env` (make test does both)")
	}
	broker, s3URL, mirror := os.Getenv("PATROL_TEST_KAFKA"), os.Getenv("PATROL_TEST_S3"), os.Getenv("PATROL_ASSET_MIRROR")
	if broker == "" || s3URL == "" || mirror == "" {
		t.Fatal("PATROL_TEST_IMAGE needs PATROL_TEST_KAFKA, PATROL_TEST_S3 (deploy/testenv/services.sh env) and PATROL_ASSET_MIRROR")
	}
	mirror, err := filepath.Abs(mirror)
	if err != nil {
		t.Fatal(err)
	}
	s3u, err := url.Parse(s3URL)
	if err != nil || s3u.User == nil {
		t.Fatalf("PATROL_TEST_S3 %q: want http://ACCESS:SECRET@host:port", s3URL)
	}
	s3Secret, _ := s3u.User.Password()
	s3Access := s3u.User.Username()

	// The image as built.
	var info []struct {
		Size   int64
		Config struct {
			User       string
			Entrypoint []string
			Cmd        []string
			Env        []string
		}
	}
	out := podman(t, time.Minute, "image", "inspect", img)
	if err := json.Unmarshal([]byte(out), &info); err != nil || len(info) != 1 {
		t.Fatalf("podman image inspect %s: %v", img, err)
	}
	cfg := info[0].Config
	t.Logf("image %s: %.0f MB, user %s, entrypoint %q, cmd %q", img, float64(info[0].Size)/1e6, cfg.User, cfg.Entrypoint, cfg.Cmd)
	if cfg.User != "10001:10001" {
		t.Errorf("image user %q, want 10001:10001", cfg.User)
	}

	suffix := fmt.Sprintf("%08x", rand.Uint32())
	camID := "image-cam-" + suffix
	topic := "patrol.cases.image-" + suffix
	bucket := "patrol-image-" + suffix
	common := []string{"--network=host", "--read-only", "--read-only-tmpfs=false",
		"--cap-drop=all", "--security-opt=no-new-privileges",
		"--label=org.patrol.test=TestImage",
		"-v", mirror + ":/opt/patrol/assets:ro"}

	// The simulated camera: patrol sim from the same image, on a free port
	// it picks itself and prints.
	sim := "patrol-imagetest-sim-" + suffix
	podman(t, time.Minute, append(append([]string{"run", "-d", "--name", sim}, common...),
		img, "sim", "-listen", "127.0.0.1:0", "-scene", "parking-e2e")...)
	t.Cleanup(func() { removeContainer(t, sim) })
	simURL := waitLog(t, sim, regexp.MustCompile(`serving scene parking-e2e at (rtsp://\S+)`), 2*time.Minute)
	t.Logf("simulated camera %s", simURL)

	// The worker: the image's own entrypoint and command (run -config
	// /etc/patrol/patrol.yaml), with its configuration mounted read-only.
	metricsPort := freePort(t)
	cfgDir := t.TempDir()
	config := fmt.Sprintf(`worker: image-test
data_dir: /var/lib/patrol
shutdown_timeout: %s
timezone: Asia/Shanghai
cameras:
  - id: %s
    name: image test camera
    url: %s
    zones:
      - id: no-parking
        polygon: [[0.02, 0.55], [0.98, 0.55], [0.98, 0.99], [0.02, 0.99]]
        rules: [illegal-parking]
rules:
  - id: illegal-parking
    kind: stationary
    code: "0505"
    name: 机动车乱停放
    classes: [car, truck, bus, motorcycle]
    min_dwell: 8s
kafka:
  brokers: [%s]
  cases_topic: %s
evidence:
  kind: s3
  endpoint: %s
  access_key: ${S3_ACCESS_KEY}
  secret_key: ${S3_SECRET_KEY}
  secure: false
  bucket: %s
  pre_roll: 5s
  post_roll: 3s
monitoring:
  metrics_address: 127.0.0.1:%d
`, imageShutdownTimeout, camID, simURL, broker, topic, s3u.Host, bucket, metricsPort)
	if err := os.WriteFile(filepath.Join(cfgDir, "patrol.yaml"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	// uid 10001 reads it through the bind mount.
	if err := os.Chmod(cfgDir, 0o755); err != nil {
		t.Fatal(err)
	}
	worker := "patrol-imagetest-worker-" + suffix
	args := append([]string{"run", "-d", "--name", worker}, common...)
	for _, dir := range imageTmpfs {
		args = append(args, "--mount", "type=tmpfs,destination="+dir+",tmpfs-size=512m,tmpfs-mode=0700,chown")
	}
	args = append(args, "-v", cfgDir+":/etc/patrol:ro",
		"-e", "S3_ACCESS_KEY="+s3Access, "-e", "S3_SECRET_KEY="+s3Secret,
		"--stop-timeout", strconv.Itoa(int(imageShutdownTimeout/time.Second)+10))
	if ca := os.Getenv("PATROL_TEST_IMAGE_CA_FILE"); ca != "" {
		// The host's CA bundle (an intercepting proxy's CA): the worker
		// fetches the ONNX Runtime wheel from PyPI over HTTPS.
		args = append(args, "-v", ca+":/etc/ssl/certs/ca-certificates.crt:ro")
	}
	args = append(args, img)
	started := time.Now()
	podman(t, time.Minute, args...)
	t.Cleanup(func() { removeContainer(t, worker) })

	// /healthz answers once the worker has fetched the runtime, checked
	// Kafka and MinIO and bound the metrics port.
	health := waitHealthz(t, worker, fmt.Sprintf("http://127.0.0.1:%d/healthz", metricsPort), camID, 4*time.Minute)
	t.Logf("/healthz answered %.1fs after start: %s", time.Since(started).Seconds(), health)

	checkProcess(t, worker)
	checkReadOnly(t, worker)

	// A case for the parked car, with its evidence in MinIO.
	c, at := waitCase(t, broker, topic, camID, worker, 4*time.Minute)
	t.Logf("case %s (%s, dwell %.1fs) on %s %.1fs after start, %d evidence objects",
		c.CaseID, c.Event, c.DwellS, topic, at.Sub(started).Seconds(), len(c.Evidence))
	checkEvidence(t, s3u.Host, s3Access, s3Secret, c)

	// SIGTERM, as podman stop, docker stop and the kubelet send it.
	t0 := time.Now()
	podman(t, imageShutdownTimeout+time.Minute, "stop", "--time", strconv.Itoa(int(imageShutdownTimeout/time.Second)+10), worker)
	stopped := time.Since(t0)
	var st []struct {
		State struct {
			Status   string
			ExitCode int
		}
	}
	if err := json.Unmarshal([]byte(podman(t, time.Minute, "inspect", worker)), &st); err != nil || len(st) != 1 {
		t.Fatalf("podman inspect %s: %v", worker, err)
	}
	t.Logf("SIGTERM: the worker stopped in %.2fs (shutdown_timeout %v), exit code %d",
		stopped.Seconds(), imageShutdownTimeout, st[0].State.ExitCode)
	// The worker's whole log: warnings are shown, an error fails the test.
	logs := strings.Split(strings.TrimSpace(containerLogs(worker)), "\n")
	var warns, errs []string
	for _, l := range logs {
		switch {
		case strings.Contains(l, "level=ERROR"):
			errs = append(errs, l)
		case strings.Contains(l, "level=WARN"):
			warns = append(warns, l)
		}
	}
	t.Logf("worker log: %d lines, %d warnings, %d errors", len(logs), len(warns), len(errs))
	for _, l := range warns {
		t.Logf("  %s", l)
	}
	if len(errs) > 0 {
		t.Errorf("the worker logged errors:\n%s", strings.Join(errs, "\n"))
	}
	if st[0].State.ExitCode != 0 {
		t.Errorf("worker exit code %d after SIGTERM, want 0", st[0].State.ExitCode)
	}
	if stopped > imageShutdownTimeout {
		t.Errorf("the worker took %v to stop after SIGTERM, more than shutdown_timeout %v", stopped, imageShutdownTimeout)
	}
}

// podman runs podman with a deadline and returns its standard output,
// failing the test on an error.
func podman(t *testing.T, timeout time.Duration, args ...string) string {
	t.Helper()
	out, err := podmanErr(timeout, args...)
	if err != nil {
		t.Fatalf("podman %s: %v", strings.Join(args, " "), err)
	}
	return out
}

func podmanErr(timeout time.Duration, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "podman", args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("no answer within %v", timeout)
	}
	if err != nil {
		return stdout.String(), fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// removeContainer prints the end of a container's log when the test failed,
// then removes it.
func removeContainer(t *testing.T, name string) {
	if t.Failed() {
		lines := strings.Split(strings.TrimSpace(containerLogs(name)), "\n")
		if len(lines) > 60 {
			lines = lines[len(lines)-60:]
		}
		t.Logf("podman logs %s (last lines):\n%s", name, strings.Join(lines, "\n"))
	}
	if _, err := podmanErr(time.Minute, "rm", "-f", "-t", "0", name); err != nil {
		t.Logf("podman rm %s: %v", name, err)
	}
}

// containerLogs returns a container's standard output and error.
func containerLogs(name string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, "podman", "logs", name).CombinedOutput()
	return string(out)
}

// running reports whether the container is still running.
func running(name string) bool {
	out, err := podmanErr(30*time.Second, "inspect", "--format", "{{.State.Running}}", name)
	return err == nil && strings.TrimSpace(out) == "true"
}

// waitLog waits until the container's log matches re and returns the first
// submatch.
func waitLog(t *testing.T, name string, re *regexp.Regexp, timeout time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		logs := containerLogs(name)
		if m := re.FindStringSubmatch(logs); m != nil {
			return m[1]
		}
		if !running(name) {
			t.Fatalf("container %s exited:\n%s", name, logs)
		}
		if time.Now().After(deadline) {
			t.Fatalf("container %s: no %q in its log within %v:\n%s", name, re, timeout, logs)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitHealthz polls /healthz until it answers 200 with the camera in its
// body, and returns the camera's and the dependencies' states.
func waitHealthz(t *testing.T, container, addr, camID string, timeout time.Duration) string {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(timeout)
	var last string
	for {
		resp, err := client.Get(addr)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			last = fmt.Sprintf("%s: %s", resp.Status, body)
			var h struct {
				Status  string `json:"status"`
				Worker  string `json:"worker"`
				Cameras []struct {
					ID    string `json:"id"`
					State string `json:"state"`
				} `json:"cameras"`
				Dependencies []struct {
					Name string `json:"name"`
					Up   bool   `json:"up"`
				} `json:"dependencies"`
			}
			if resp.StatusCode == http.StatusOK && json.Unmarshal(body, &h) == nil {
				if h.Worker != "image-test" {
					t.Fatalf("/healthz worker %q, want image-test", h.Worker)
				}
				for _, c := range h.Cameras {
					if c.ID == camID {
						deps := make([]string, len(h.Dependencies))
						for i, d := range h.Dependencies {
							deps[i] = fmt.Sprintf("%s up=%v", d.Name, d.Up)
						}
						return fmt.Sprintf("status %s, camera %s %s, dependencies [%s]", h.Status, c.ID, c.State, strings.Join(deps, ", "))
					}
				}
			}
		} else {
			last = err.Error()
		}
		if !running(container) {
			t.Fatalf("the worker exited before /healthz answered:\n%s", containerLogs(container))
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer with camera %s within %v (last: %s)", addr, camID, timeout, last)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// checkProcess checks the worker process itself (PID 1 of the container:
// the exec-form entrypoint, no shell or init in between): its command line
// and its user and group ids.
func checkProcess(t *testing.T, container string) {
	t.Helper()
	cmdline := podman(t, time.Minute, "exec", container, "cat", "/proc/1/cmdline")
	args := strings.Split(strings.TrimRight(cmdline, "\x00"), "\x00")
	status := podman(t, time.Minute, "exec", container, "cat", "/proc/1/status")
	ids := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(status))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && (k == "Uid" || k == "Gid") {
			ids[k] = strings.Join(strings.Fields(v), " ")
		}
	}
	t.Logf("PID 1: %q, Uid (real, effective, saved, fs) %s, Gid %s", args, ids["Uid"], ids["Gid"])
	if len(args) < 2 || args[0] != "/usr/local/bin/patrol" || args[1] != "run" {
		t.Errorf("PID 1 is %q, want /usr/local/bin/patrol run ...", args)
	}
	if ids["Uid"] != "10001 10001 10001 10001" || ids["Gid"] != "10001 10001 10001 10001" {
		t.Errorf("worker runs as Uid %q Gid %q, want 10001 throughout", ids["Uid"], ids["Gid"])
	}
}

// checkReadOnly checks that the root file system is mounted read-only
// (even root cannot write to it), that the configuration and the asset
// mirror are read-only mounts, and that the only writable places besides
// podman's own (/dev, /proc, /sys, the /etc files podman generates) are
// the tmpfs mounts of imageTmpfs, which the worker did write to.
func checkReadOnly(t *testing.T, container string) {
	t.Helper()
	for _, p := range []string{"/probe", "/usr/local/bin/probe", "/var/probe", "/tmp/probe", "/etc/patrol/probe", "/opt/patrol/assets/probe"} {
		out, err := podmanErr(time.Minute, "exec", "--user", "0", container, "sh", "-c", "echo x > "+p)
		if err == nil {
			t.Errorf("root wrote %s in the container", p)
			continue
		}
		if !strings.Contains(err.Error()+out, "Read-only file system") {
			t.Errorf("writing %s: %v, want \"Read-only file system\"", p, err)
		}
	}
	mountinfo := podman(t, time.Minute, "exec", container, "cat", "/proc/1/mountinfo")
	var writable []string
	rootRO := false
	sc := bufio.NewScanner(strings.NewReader(mountinfo))
	for sc.Scan() {
		// id parent major:minor root mountpoint options ... - fstype source superoptions
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		f, g := strings.Fields(pre), strings.Fields(post)
		if !ok || len(f) < 6 || len(g) < 1 {
			continue
		}
		point, opts, fstype := f[4], strings.Split(f[5], ","), g[0]
		ro := opts[0] == "ro"
		if point == "/" {
			rootRO = ro
			continue
		}
		if ro || point == "/dev" || strings.HasPrefix(point, "/dev/") || point == "/proc" || strings.HasPrefix(point, "/proc/") ||
			point == "/sys" || strings.HasPrefix(point, "/sys/") {
			continue
		}
		switch point {
		case "/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/run/.containerenv":
			continue // podman's own files
		}
		writable = append(writable, point+" ("+fstype+")")
	}
	sort.Strings(writable)
	t.Logf("root file system read-only: %v; writable mounts besides /dev, /proc, /sys and podman's /etc files: %s", rootRO, strings.Join(writable, ", "))
	if !rootRO {
		t.Error("the root file system is not mounted read-only")
	}
	want := make([]string, len(imageTmpfs))
	for i, d := range imageTmpfs {
		want[i] = d + " (tmpfs)"
	}
	sort.Strings(want)
	if strings.Join(writable, ",") != strings.Join(want, ",") {
		t.Errorf("writable mounts %q, want exactly %q", writable, want)
	}
	// What the worker wrote there: its data_dir and the runtime library.
	du := podman(t, time.Minute, append([]string{"exec", container, "du", "-sh"}, imageTmpfs...)...)
	t.Logf("written by the worker:\n%s", strings.TrimSpace(du))
	lib := podman(t, time.Minute, "exec", container, "sh", "-c", "ls /var/cache/patrol/assets/runtimes/*/libonnxruntime.so.*")
	t.Logf("ONNX Runtime fetched at start: %s", strings.TrimSpace(lib))
}

type imageCase struct {
	CaseID string `json:"case_id"`
	Event  string `json:"event"`
	Worker string `json:"worker"`
	Camera struct {
		ID string `json:"id"`
	} `json:"camera"`
	DwellS   float64 `json:"dwell_s"`
	Evidence []struct {
		Kind   string `json:"kind"`
		Role   string `json:"role"`
		Bucket string `json:"bucket"`
		Key    string `json:"key"`
		SHA256 string `json:"sha256"`
		Size   int64  `json:"size"`
	} `json:"evidence"`
}

// waitCase reads the cases topic (every partition, from the start) until a
// case of the camera arrives.
func waitCase(t *testing.T, broker, topic, camID, container string, timeout time.Duration) (imageCase, time.Time) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	// The worker creates the topic at start; wait for its partitions.
	var parts []kafka.Partition
	for {
		conn, err := kafka.DialContext(ctx, "tcp", broker)
		if err == nil {
			parts, err = conn.ReadPartitions(topic)
			conn.Close()
		}
		if err == nil && len(parts) > 0 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("topic %s: no partitions within %v: %v", topic, timeout, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	type found struct {
		c  imageCase
		at time.Time
	}
	got := make(chan found, 1)
	errs := make(chan error, len(parts))
	var lastErr atomic.Value
	var wg sync.WaitGroup
	for _, p := range parts {
		wg.Add(1)
		go func(partition int) {
			defer wg.Done()
			r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{broker}, Topic: topic, Partition: partition,
				MinBytes: 1, MaxBytes: 10 << 20, MaxWait: 500 * time.Millisecond})
			defer r.Close()
			for {
				m, err := r.ReadMessage(ctx)
				if ctx.Err() != nil {
					return
				}
				if err != nil {
					// A broker that is briefly unreachable: retry until
					// the deadline, which reports the last error.
					lastErr.Store(err.Error())
					time.Sleep(500 * time.Millisecond)
					continue
				}
				if string(m.Key) != camID {
					continue
				}
				var c imageCase
				if err := json.Unmarshal(m.Value, &c); err != nil {
					errs <- fmt.Errorf("case message is not JSON: %w", err)
					return
				}
				select {
				case got <- found{c, m.Time}:
				default:
				}
				return
			}
		}(p.ID)
	}
	defer wg.Wait()
	defer cancel()
	for {
		select {
		case f := <-got:
			if f.c.Camera.ID != camID || f.c.Worker != "image-test" || f.c.CaseID == "" {
				t.Fatalf("case %+v: want camera %s from worker image-test", f.c, camID)
			}
			return f.c, f.at
		case err := <-errs:
			t.Fatalf("reading %s: %v", topic, err)
		case <-ctx.Done():
			t.Fatalf("no case for camera %s on %s within %v (last read error: %v); worker log:\n%s", camID, topic, timeout, lastErr.Load(), containerLogs(container))
		}
	}
}

// checkEvidence checks that every evidence object of the case is in MinIO
// with the size and sha256 the case gives.
func checkEvidence(t *testing.T, endpoint, access, secret string, c imageCase) {
	t.Helper()
	if len(c.Evidence) == 0 {
		t.Fatal("the case has no evidence")
	}
	mc, err := minio.New(endpoint, &minio.Options{Creds: credentials.NewStaticV4(access, secret, "")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	kinds := map[string]int{}
	for _, ev := range c.Evidence {
		obj, err := mc.GetObject(ctx, ev.Bucket, ev.Key, minio.GetObjectOptions{})
		if err != nil {
			t.Fatalf("evidence %s/%s: %v", ev.Bucket, ev.Key, err)
		}
		h := sha256.New()
		n, err := io.Copy(h, obj)
		obj.Close()
		if err != nil {
			t.Fatalf("evidence %s/%s: %v", ev.Bucket, ev.Key, err)
		}
		if sum := hex.EncodeToString(h.Sum(nil)); sum != ev.SHA256 || n != ev.Size {
			t.Errorf("evidence %s/%s: %d bytes sha256 %s in MinIO, the case says %d bytes %s", ev.Bucket, ev.Key, n, sum, ev.Size, ev.SHA256)
		}
		kinds[ev.Kind]++
		t.Logf("evidence %s/%s (%s %s): %d bytes, sha256 matches", ev.Bucket, ev.Key, ev.Kind, ev.Role, n)
	}
	if kinds["clip"] == 0 || kinds["snapshot"] == 0 {
		t.Errorf("evidence kinds %v, want a clip and a snapshot", kinds)
	}
}
