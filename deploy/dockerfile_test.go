package deploy_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// runtimePackages must be installed in the final stage: the shared
// libraries bin/patrol links (readelf -d) that are not in the base image,
// and the CA roots for HTTPS.
var runtimePackages = []string{
	"ca-certificates", "libopencv-core406", "libopencv-imgproc406", "libopencv-imgcodecs406",
	"libopencv-dnn406", "libavcodec59", "libavutil57", "libswscale6",
}

// parseDockerfile parses a Dockerfile with BuildKit's own parser into its
// stages, turning the parser's and the linter's warnings into errors.
func parseDockerfile(raw []byte) ([]instructions.Stage, []instructions.ArgCommand, error) {
	res, err := parser.Parse(bytes.NewReader(raw))
	if err != nil {
		return nil, nil, err
	}
	var errs []error
	for _, w := range res.Warnings {
		errs = append(errs, fmt.Errorf("parser: %s", w.Short))
	}
	lint := linter.New(&linter.Config{Warn: func(rule, _, _, msg string, loc []parser.Range) {
		line := 0
		if len(loc) > 0 {
			line = loc[0].Start.Line
		}
		errs = append(errs, fmt.Errorf("line %d: %s: %s", line, rule, msg))
	}})
	stages, metaArgs, err := instructions.Parse(res.AST, lint)
	if err != nil {
		return nil, nil, err
	}
	return stages, metaArgs, errors.Join(errs...)
}

var argRef = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?`)

// expandArgs replaces ${NAME} in a FROM line with the default of the
// global ARG NAME.
func expandArgs(s string, metaArgs []instructions.ArgCommand) string {
	return argRef.ReplaceAllStringFunc(s, func(m string) string {
		name := argRef.FindStringSubmatch(m)[1]
		for _, a := range metaArgs {
			for _, kv := range a.Args {
				if kv.Key == name && kv.Value != nil {
					return *kv.Value
				}
			}
		}
		return m
	})
}

// validateDockerfile checks patrol's image: a multi-stage build whose final
// stage is Debian bookworm, runs as a user other than root, starts patrol,
// copies only from stages defined before it and installs no -dev package.
func validateDockerfile(raw []byte) error {
	stages, metaArgs, err := parseDockerfile(raw)
	if err != nil {
		return err
	}
	var errs []error
	fail := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if len(stages) < 2 {
		fail("%d stage: want a multi-stage build (build, runtime)", len(stages))
	}
	defined := map[string]bool{}
	for i, st := range stages {
		for _, c := range st.Commands {
			if cp, ok := c.(*instructions.CopyCommand); ok && cp.From != "" && !defined[strings.ToLower(cp.From)] {
				fail("stage %d: COPY --from=%s: no such stage before it", i, cp.From)
			}
		}
		defined[strconv.Itoa(i)] = true
		if st.Name != "" {
			defined[strings.ToLower(st.Name)] = true
		}
	}
	final := stages[len(stages)-1]
	if base := expandArgs(final.BaseName, metaArgs); !strings.HasPrefix(base, "debian:bookworm") {
		fail("final stage FROM %s: want debian:bookworm*", base)
	}
	var user *instructions.UserCommand
	var entry *instructions.EntrypointCommand
	var cmd *instructions.CmdCommand
	copied := map[string]bool{}
	var installed []string
	for _, c := range final.Commands {
		switch c := c.(type) {
		case *instructions.UserCommand:
			user = c
		case *instructions.EntrypointCommand:
			entry = c
		case *instructions.CmdCommand:
			cmd = c
		case *instructions.CopyCommand:
			if c.From != "" {
				copied[c.DestPath] = true
			}
		case *instructions.RunCommand:
			installed = append(installed, aptInstalled(strings.Join(c.CmdLine, " "))...)
		}
	}
	if user == nil {
		fail("final stage: no USER instruction: the container would run as root")
	} else if name, _, _ := strings.Cut(user.User, ":"); name == "root" || name == "0" || name == "" {
		fail("final stage: USER %s is root", user.User)
	}
	switch {
	case entry == nil:
		fail("final stage: no ENTRYPOINT")
	case entry.PrependShell || len(entry.CmdLine) == 0 || path.Base(entry.CmdLine[0]) != "patrol":
		fail("final stage: ENTRYPOINT %v: want the exec form starting patrol", entry.CmdLine)
	case !copied[entry.CmdLine[0]]:
		fail("final stage: ENTRYPOINT %s is not copied from the build stage", entry.CmdLine[0])
	}
	if cmd == nil || cmd.PrependShell || len(cmd.CmdLine) == 0 || cmd.CmdLine[0] != "run" {
		fail("final stage: CMD: want the exec form [\"run\", \"-config\", ...]")
	}
	for _, p := range installed {
		if strings.HasSuffix(p, "-dev") {
			fail("final stage installs %s: only runtime libraries belong there", p)
		}
	}
	for _, want := range runtimePackages {
		if !contains(installed, want) {
			fail("final stage does not install %s", want)
		}
	}
	return errors.Join(errs...)
}

// aptInstalled returns the package names of the apt-get install commands
// in a RUN line.
func aptInstalled(run string) []string {
	var out []string
	for _, part := range regexp.MustCompile(`&&|;|\|\|`).Split(run, -1) {
		f := strings.Fields(part)
		for i := 0; i+1 < len(f); i++ {
			if path.Base(f[i]) == "apt-get" && f[i+1] == "install" {
				for _, w := range f[i+2:] {
					if !strings.HasPrefix(w, "-") && !strings.Contains(w, "=") && w != "\\" {
						out = append(out, w)
					}
				}
				break
			}
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestDockerfile(t *testing.T) {
	if err := validateDockerfile(readFile(t, "Dockerfile")); err != nil {
		t.Fatal(err)
	}
}

// TestDockerfileBuildStage checks the build stage against the repository:
// the Go of go.mod's go line on bookworm, the Debian packages of
// deploy/testenv/deps.sh, and go build of ./cmd/patrol.
func TestDockerfileBuildStage(t *testing.T) {
	stages, metaArgs, err := parseDockerfile(readFile(t, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	goVersion := ""
	sc := bufio.NewScanner(bytes.NewReader(readFile(t, "../go.mod")))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go "); ok {
			goVersion = strings.TrimSpace(v)
		}
	}
	deps := regexp.MustCompile(`pkgs=\(([^)]*)\)`).FindStringSubmatch(string(readFile(t, "testenv/deps.sh")))
	if goVersion == "" || deps == nil {
		t.Fatal("go.mod's go line or deps.sh's pkgs=(...) not found")
	}
	build := stages[0]
	if want := "golang:" + goVersion + "-bookworm"; expandArgs(build.BaseName, metaArgs) != want {
		t.Errorf("build stage FROM %s, want %s (go.mod: go %s)", expandArgs(build.BaseName, metaArgs), want, goVersion)
	}
	var installed []string
	built := false
	for _, c := range build.Commands {
		if r, ok := c.(*instructions.RunCommand); ok {
			line := strings.Join(r.CmdLine, " ")
			installed = append(installed, aptInstalled(line)...)
			built = built || (strings.Contains(line, "go build") && strings.Contains(line, "./cmd/patrol"))
		}
	}
	for _, p := range strings.Fields(deps[1]) {
		if !contains(installed, p) {
			t.Errorf("build stage does not install %s (deploy/testenv/deps.sh)", p)
		}
	}
	if !built {
		t.Error("build stage does not go build ./cmd/patrol")
	}
}

// TestDockerignore checks that the build context leaves out binaries,
// models, video and local data.
func TestDockerignore(t *testing.T) {
	lines := map[string]bool{}
	for _, l := range strings.Split(string(readFile(t, "../.dockerignore")), "\n") {
		lines[strings.TrimSpace(l)] = true
	}
	for _, want := range []string{"bin/", "*.onnx", "*.mp4", "patrol-data/", ".git"} {
		if !lines[want] {
			t.Errorf(".dockerignore does not exclude %s", want)
		}
	}
}
