package wasmtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// env is the built bridge: main.wasm, the wasm_exec.js of the toolchain that
// built it, and the repository's web/boot.js.
type env struct {
	root, dir, wasm, exec, boot, runner string
}

var (
	tmpDir    string
	buildOnce sync.Once
	built     *env
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if tmpDir != "" {
		os.RemoveAll(tmpDir)
	}
	os.Exit(code)
}

// setup builds main.wasm once per test binary, or skips when node is missing.
func setup(t *testing.T) *env {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not on PATH: the wasm bridge tests run main.wasm under Node.js (install Node 20+)")
	}
	buildOnce.Do(func() { built, buildErr = build() })
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return built
}

func build() (*env, error) {
	root, err := filepath.Abs("../..")
	if err != nil {
		return nil, err
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return nil, fmt.Errorf("go env GOROOT: %v", err)
	}
	if tmpDir, err = os.MkdirTemp("", "distlab-wasmtest-"); err != nil {
		return nil, err
	}
	e := &env{
		root: root, dir: tmpDir,
		wasm:   filepath.Join(tmpDir, "main.wasm"),
		exec:   filepath.Join(strings.TrimSpace(string(goroot)), "lib", "wasm", "wasm_exec.js"),
		boot:   filepath.Join(root, "web", "boot.js"),
		runner: filepath.Join(root, "wasm", "testdata", "run.mjs"),
	}
	cmd := exec.Command("go", "build", "-o", e.wasm, "./wasm")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("GOOS=js GOARCH=wasm go build ./wasm: %v\n%s", err, out)
	}
	return e, nil
}

// node runs run.mjs in mode with stdin and decodes its report into out.
func (e *env) node(t *testing.T, mode string, stdin any, out any, extra ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	args := append([]string{e.runner, "--boot", e.boot, "--exec", e.exec, "--wasm", e.wasm}, extra...)
	cmd := exec.CommandContext(ctx, "node", append(args, mode)...)
	if stdin != nil {
		b, err := json.Marshal(stdin)
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdin = bytes.NewReader(b)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("node run.mjs %s: %v\nstderr:\n%s\nstdout:\n%s", mode, err, stderr.String(), stdout)
	}
	const marker = "DISTLAB-RESULT "
	i := bytes.LastIndex(stdout, []byte(marker))
	if i < 0 {
		t.Fatalf("node run.mjs %s: no result line\nstderr:\n%s\nstdout:\n%s", mode, stderr.String(), stdout)
	}
	if err := json.Unmarshal(stdout[i+len(marker):], out); err != nil {
		t.Fatalf("node run.mjs %s: bad result: %v", mode, err)
	}
}

// step is one instruction for run.mjs's "steps" mode.
type step struct {
	Do        string `json:"do"`
	Fn        string `json:"fn,omitempty"`
	Sim       string `json:"sim,omitempty"`
	As        string `json:"as,omitempty"`
	Args      []any  `json:"args,omitempty"`
	Stringify bool   `json:"stringify,omitempty"`
}

// outcome is what a step did: a value, or a thrown exception.
type outcome struct {
	OK      json.RawMessage `json:"ok"`
	Threw   bool            `json:"threw"`
	IsError bool            `json:"isError"`
	Message string          `json:"message"`
}

func (o outcome) String() string {
	if o.Threw {
		return fmt.Sprintf("threw %q (Error: %v)", o.Message, o.IsError)
	}
	return "returned " + string(o.OK)
}

// str decodes a string result.
func (o outcome) str(t *testing.T) string {
	t.Helper()
	var s string
	if o.Threw || json.Unmarshal(o.OK, &s) != nil {
		t.Fatalf("expected a string, %v", o)
	}
	return s
}

// run executes steps in one Node process.
func (e *env) run(t *testing.T, steps []step) []outcome {
	t.Helper()
	var out []outcome
	e.node(t, "steps", map[string]any{"steps": steps}, &out)
	if len(out) != len(steps) {
		t.Fatalf("%d results for %d steps", len(out), len(steps))
	}
	return out
}
