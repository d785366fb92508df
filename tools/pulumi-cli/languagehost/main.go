// Command pulumi-language-python is a minimal Pulumi language host for Python programs.
//
// The upstream host (module github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3)
// is not served by the Go module proxy this project can reach, so scripts/pulumi-cli.sh builds
// this one instead, next to a `pulumi` CLI of the same version. It implements the parts of the
// pulumirpc.LanguageRuntime service that `pulumi preview/up/refresh/destroy` need for a Python
// program that uses no provider plugins other than the dynamic provider (which the engine starts
// itself as `pulumi-resource-pulumi-python`):
//
//   - Handshake, GetPluginInfo, GetRequiredPlugins, GetRequiredPackages (none required),
//   - Run: executes `pulumi-language-python-exec` with the project's interpreter,
//   - RunPlugin (plugin.go): Python policy packs (`--policy-pack`) and PulumiPlugin.yaml plugins,
//   - About, GetProgramDependencies (best effort, via `python -m pip list`),
//   - InstallDependencies (does nothing but say so), Cancel.
//
// The interpreter is chosen like the upstream host does: the `virtualenv` runtime option of
// Pulumi.yaml or PulumiPolicy.yaml (relative paths are taken from the directory of that file),
// or `.venv` for `toolchain: uv`, else $PULUMI_PYTHON_CMD, else python3 (or python).
//
// Like every plugin it prints the port it listens on as the first line of stdout. Set
// PULUMI_RTK_LANGHOST_LOG to a file path to get one line per gRPC call appended to it.
// `pulumi-language-python -pulumi-rtk-build` prints the build stamp scripts/pulumi-cli.sh
// embedded, which is how the script recognises a CLI on PATH as one of its own builds.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

// version and build are set with -ldflags "-X main.version=... -X main.build=..." by
// scripts/pulumi-cli.sh; build is the stamp of its cache directory (version and sources digest).
var (
	version = "0.0.0-dev"
	build   = ""
)

// execScriptName is the Python driver shipped in the sdk/v3 module (sdk/python/cmd).
const execScriptName = "pulumi-language-python-exec"

// bailExitCode is what pulumi-language-python-exec exits with after it has already shown
// the user an actionable error: the engine should then fail without adding a message.
const bailExitCode = 32

func main() {
	if len(os.Args) == 2 && os.Args[1] == "-pulumi-rtk-build" {
		fmt.Println(build)
		return
	}
	if err := serve(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-python: %v\n", err)
		os.Exit(1)
	}
}

// hostArgs are the command-line arguments the engine passes to a language plugin:
// optional logging/tracing flags, then the engine's gRPC address as the last positional.
type hostArgs struct {
	engineAddress string
	tracing       string
}

func parseArgs(args []string) hostArgs {
	var out hostArgs
	var positional []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			positional = append(positional, a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if name == "tracing" {
			if !hasValue && i+1 < len(args) {
				i++
				value = args[i]
			}
			out.tracing = value
		}
		// Every other flag (-v=N, --logtostderr, --logflow, ...) is accepted and ignored.
	}
	if len(positional) > 0 {
		out.engineAddress = positional[len(positional)-1]
	}
	return out
}

func serve(args []string) error {
	h := &host{args: parseArgs(args), running: map[*exec.Cmd]struct{}{}}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := grpc.NewServer(
		grpc.UnaryInterceptor(h.logUnary),
		grpc.StreamInterceptor(h.logStream),
		grpc.MaxRecvMsgSize(400*1024*1024),
	)
	pulumirpc.RegisterLanguageRuntimeServer(srv, h)
	// The engine reads the port from the first line of stdout.
	fmt.Printf("%d\n", lis.Addr().(*net.TCPAddr).Port)
	return srv.Serve(lis)
}

type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	args hostArgs

	mu          sync.Mutex
	rootDir     string // from Handshake, if the engine sent one
	programDir  string
	running     map[*exec.Cmd]struct{}
	logFileOnce sync.Once
	logFile     *os.File
}

func (h *host) trace(method string, err error) {
	path := os.Getenv("PULUMI_RTK_LANGHOST_LOG")
	if path == "" {
		return
	}
	h.logFileOnce.Do(func() {
		f, openErr := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if openErr == nil {
			h.logFile = f
		}
	})
	if h.logFile == nil {
		return
	}
	line := method
	if err != nil {
		line += " error=" + strconv.Quote(err.Error())
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	_, _ = fmt.Fprintln(h.logFile, line)
}

func (h *host) logUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo,
	handler grpc.UnaryHandler,
) (any, error) {
	resp, err := handler(ctx, req)
	h.trace(info.FullMethod, err)
	return resp, err
}

func (h *host) logStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo,
	handler grpc.StreamHandler,
) error {
	err := handler(srv, ss)
	h.trace(info.FullMethod, err)
	return err
}

func (h *host) Handshake(_ context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if req.EngineAddress != "" {
		h.args.engineAddress = req.EngineAddress
	}
	if req.RootDirectory != nil {
		h.rootDir = *req.RootDirectory
	}
	if req.ProgramDirectory != nil {
		h.programDir = *req.ProgramDirectory
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

// GetRequiredPlugins reports no plugins: the dynamic provider is started by the engine itself,
// and this host does not scan installed packages for plugin metadata.
func (h *host) GetRequiredPlugins(context.Context, *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *host) GetRequiredPackages(context.Context, *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

// interpreter describes the Python to run and the environment changes it needs.
type interpreter struct {
	python     string
	virtualenv string // absolute, or "" when not using one
}

func optionString(info *pulumirpc.ProgramInfo, key string) string {
	if info == nil || info.Options == nil {
		return ""
	}
	v, ok := info.Options.Fields[key]
	if !ok {
		return ""
	}
	return v.GetStringValue()
}

// rootDirectory is the directory of Pulumi.yaml: relative runtime options are resolved from it.
func (h *host) rootDirectory(info *pulumirpc.ProgramInfo, pwd string) string {
	if info != nil && info.RootDirectory != "" {
		return info.RootDirectory
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.rootDir != "" {
		return h.rootDir
	}
	if pwd != "" {
		return pwd
	}
	wd, _ := os.Getwd()
	return wd
}

// resolveInterpreter assumes defaultVenv when the runtime options name no virtualenv nor a
// toolchain that has one (upstream runs plugins, unlike programs, from ./venv by default).
func (h *host) resolveInterpreter(info *pulumirpc.ProgramInfo, pwd, defaultVenv string,
) (interpreter, error) {
	root := h.rootDirectory(info, pwd)
	venv := optionString(info, "virtualenv")
	if venv == "" {
		switch optionString(info, "toolchain") {
		case "uv":
			venv = ".venv"
		case "poetry":
			cmd := exec.Command("poetry", "env", "info", "--path")
			cmd.Dir = root // poetry finds the project from its working directory
			out, err := cmd.Output()
			if err != nil {
				return interpreter{}, fmt.Errorf("toolchain poetry: `poetry env info --path` failed: %w", err)
			}
			venv = strings.TrimSpace(string(out))
		case "", "pip":
			venv = defaultVenv
		}
	}
	if venv != "" {
		if !filepath.IsAbs(venv) {
			venv = filepath.Join(root, venv)
		}
		venv = filepath.Clean(venv)
		python := filepath.Join(venv, "bin", "python")
		if _, err := os.Stat(python); err != nil {
			return interpreter{}, fmt.Errorf(
				"the 'virtualenv' runtime option of %s is %q, but that is not a virtual environment "+
					"(no bin/python); create it and install the dependencies into it", root, venv)
		}
		return interpreter{python: python, virtualenv: venv}, nil
	}
	if cmd := os.Getenv("PULUMI_PYTHON_CMD"); cmd != "" {
		return interpreter{python: cmd}, nil
	}
	for _, name := range []string{"python3", "python"} {
		if p, err := exec.LookPath(name); err == nil {
			return interpreter{python: p}, nil
		}
	}
	return interpreter{}, errors.New("no Python interpreter found: set the 'virtualenv' runtime option, " +
		"PULUMI_PYTHON_CMD, or put python3 on PATH")
}

// environ adjusts base (an environment as os.Environ returns it) for the interpreter: a
// virtualenv's bin directory goes first on PATH and VIRTUAL_ENV is set, PYTHONHOME is dropped.
// extra comes last, so it wins over anything in base.
func (in interpreter) environ(base []string, extra ...string) []string {
	var env []string
	path := ""
	for _, kv := range base {
		if in.virtualenv != "" {
			key, value, _ := strings.Cut(kv, "=")
			switch key {
			case "PATH":
				path = value
				continue
			case "PYTHONHOME", "VIRTUAL_ENV":
				continue
			}
		}
		env = append(env, kv)
	}
	if in.virtualenv != "" {
		bin := filepath.Join(in.virtualenv, "bin")
		if path != "" {
			bin += string(os.PathListSeparator) + path
		}
		env = append(env, "VIRTUAL_ENV="+in.virtualenv, "PATH="+bin)
	}
	env = append(env, "PYTHONUNBUFFERED=true")
	return append(env, extra...)
}

// findExecScript looks next to this executable first, then on PATH.
func findExecScript() (string, error) {
	if self, err := os.Executable(); err == nil {
		if resolved, err := filepath.EvalSymlinks(self); err == nil {
			self = resolved
		}
		candidate := filepath.Join(filepath.Dir(self), execScriptName)
		if _, err := os.Stat(candidate); err == nil {
			return candidate, nil
		}
	}
	p, err := exec.LookPath(execScriptName)
	if err != nil {
		return "", fmt.Errorf("%s not found next to the language host nor on PATH", execScriptName)
	}
	return p, nil
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	in, err := h.resolveInterpreter(req.Info, req.Pwd, "")
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	script, err := findExecScript()
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	configMap := req.Config
	if configMap == nil {
		configMap = map[string]string{} // the SDK expects a JSON object, never null
	}
	config, err := json.Marshal(configMap)
	if err != nil {
		return nil, err
	}
	secretKeys := req.ConfigSecretKeys
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secrets, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}

	program := req.Program
	if program == "" {
		program = "."
	}
	args := []string{"-u", script,
		"--monitor", req.MonitorAddress,
		"--engine", h.args.engineAddress,
		"--project", req.Project,
		"--stack", req.Stack,
		"--pwd", req.Pwd,
		"--dry_run", strconv.FormatBool(req.DryRun),
		"--parallel", strconv.Itoa(int(req.Parallel)),
		"--organization", req.Organization,
		"--root_directory", h.rootDirectory(req.Info, req.Pwd),
	}
	if h.args.tracing != "" {
		args = append(args, "--tracing", h.args.tracing)
	}
	args = append(args, program)
	args = append(args, req.Args...)

	cmd := exec.Command(in.python, args...) //nolint:gosec // running the user's program is the point
	cmd.Dir = req.Pwd
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	cmd.Env = in.environ(os.Environ(),
		"PULUMI_CONFIG="+string(config),
		"PULUMI_CONFIG_SECRET_KEYS="+string(secrets),
	)
	setProcAttrs(cmd)

	h.mu.Lock()
	if err := cmd.Start(); err != nil {
		h.mu.Unlock()
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("could not start %s: %v", in.python, err),
		}, nil
	}
	h.running[cmd] = struct{}{}
	h.mu.Unlock()

	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			killProcess(cmd)
		case <-done:
		}
	}()
	err = cmd.Wait()
	close(done)
	h.mu.Lock()
	delete(h.running, cmd)
	h.mu.Unlock()

	if err == nil {
		return &pulumirpc.RunResponse{}, nil
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		code := exitErr.ExitCode()
		if code == bailExitCode {
			// The program already reported its error through the engine.
			return &pulumirpc.RunResponse{Bail: true}, nil
		}
		if code < 0 {
			return &pulumirpc.RunResponse{Error: "Program was terminated: " + exitErr.String()}, nil
		}
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("Program exited with non-zero exit code: %d", code),
		}, nil
	}
	return &pulumirpc.RunResponse{Error: fmt.Sprintf("Problem executing program: %v", err)}, nil
}

func (h *host) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	// The engine calls Cancel when it shuts the host down: stop any program still running.
	h.mu.Lock()
	defer h.mu.Unlock()
	for cmd := range h.running {
		killProcess(cmd)
	}
	return &emptypb.Empty{}, nil
}

// InstallDependencies installs nothing: the project's virtualenv is prepared by the project
// (pip install -e .[dev]). It streams a line saying so, which `pulumi install` shows.
func (h *host) InstallDependencies(req *pulumirpc.InstallDependenciesRequest,
	stream pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	msg := "pulumi-language-python (pulumi-rtk build): installing dependencies is not supported; " +
		"install them into the virtualenv yourself\n"
	return stream.Send(&pulumirpc.InstallDependenciesResponse{Stdout: []byte(msg)})
}

func runOutput(ctx context.Context, in interpreter, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, in.python, args...) //nolint:gosec
	cmd.Env = in.environ(os.Environ())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s %s: %w: %s", in.python, strings.Join(args, " "), err,
			strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

func (h *host) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	in, err := h.resolveInterpreter(req.Info, "", "")
	if err != nil {
		return nil, status.Error(codes.FailedPrecondition, err.Error())
	}
	exe, err := runOutput(ctx, in, "-c", "import sys; print(sys.executable)")
	if err != nil {
		return nil, err
	}
	ver, err := runOutput(ctx, in, "-c", "import platform; print(platform.python_version())")
	if err != nil {
		return nil, err
	}
	meta := map[string]string{"host": "pulumi-rtk minimal language host"}
	if in.virtualenv != "" {
		meta["virtualenv"] = in.virtualenv
	}
	return &pulumirpc.AboutResponse{Executable: exe, Version: ver, Metadata: meta}, nil
}

func (h *host) GetProgramDependencies(ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	in, err := h.resolveInterpreter(req.Info, req.Pwd, "")
	if err != nil {
		return nil, status.Error(codes.FailedPrecondition, err.Error())
	}
	out, err := runOutput(ctx, in, "-m", "pip", "list", "--format=json", "--disable-pip-version-check")
	if err != nil {
		return nil, err
	}
	var pkgs []struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	if err := json.Unmarshal([]byte(out), &pkgs); err != nil {
		return nil, fmt.Errorf("parsing pip list output: %w", err)
	}
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].Name < pkgs[j].Name })
	resp := &pulumirpc.GetProgramDependenciesResponse{}
	for _, p := range pkgs {
		resp.Dependencies = append(resp.Dependencies, &pulumirpc.DependencyInfo{Name: p.Name, Version: p.Version})
	}
	return resp, nil
}

// RuntimeOptionsPrompts asks nothing extra during `pulumi new`.
func (h *host) RuntimeOptionsPrompts(context.Context, *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}
