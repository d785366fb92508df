package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"

	sdk "github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// RunPlugin runs a plugin written in Python. The engine asks for it when a plugin path is a
// directory rather than an executable: `pulumi preview --policy-pack <dir>` (kind "analyzer",
// the directory holds PulumiPolicy.yaml) and providers or tools described by PulumiPlugin.yaml.
// req.Info names that directory as both root and program directory, with its runtime options.
// It mirrors the upstream host so that packs written for it behave the same here.
func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest,
	stream pulumirpc.LanguageRuntime_RunPluginServer,
) error {
	ctx := stream.Context()
	dir := req.GetInfo().GetProgramDirectory()
	if dir == "" {
		return status.Error(codes.InvalidArgument, "RunPlugin: no program directory")
	}
	analyzer := req.Kind == string(apitype.AnalyzerPlugin)

	// Policy packs pick their interpreter exactly like programs; other plugins default to ./venv.
	defaultVenv := "venv"
	if analyzer {
		defaultVenv = ""
	}
	in, err := h.resolveInterpreter(req.Info, dir, defaultVenv)
	if err != nil {
		return status.Error(codes.FailedPrecondition, err.Error())
	}

	var args []string
	workDir := req.Pwd
	if analyzer {
		// The `pulumi.policy` entry point of the SDK takes the engine address (in req.Args) and
		// then the pack directory, whose __main__.py it runs. Packs have always run from their own
		// directory, so relative paths in them keep working.
		args = append([]string{"-u", "-m", "pulumi.policy"}, req.Args...)
		args = append(args, dir)
		workDir = dir
	} else {
		args = append([]string{dir}, req.Args...)
	}

	var sendMu sync.Mutex
	stdout := &streamWriter{mu: &sendMu, stream: stream}
	stderr := &streamWriter{mu: &sendMu, stream: stream, stderr: true}

	cmd := exec.CommandContext(ctx, in.python, args...) //nolint:gosec // running the plugin is the point
	cmd.Dir = workDir
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	setProcAttrs(cmd)
	// The engine stops a plugin by ending this call: take the plugin's children down with it.
	cmd.Cancel = func() error {
		killProcess(cmd)
		return nil
	}

	// req.Env is the environment the engine means the plugin to have (it can add per-pack
	// variables to its own).
	base := req.Env
	if len(base) == 0 {
		base = os.Environ()
	}
	var extra []string

	// The pulumi.policy entry point reads the stack's name and configuration from PULUMI_*
	// variables, but the engine sends them later, in the analyzer's ConfigureStack call. The
	// SDK's PolicyProxy stands in for the pack until that call arrives, then starts forwarding
	// every call to the real pack process, which is started only now, with those variables.
	var proxy *sdk.PolicyProxy
	if analyzer {
		proxy, cmd.Stdout, err = sdk.NewPolicyProxy(ctx, stdout)
		if err != nil {
			return fmt.Errorf("starting the policy pack proxy: %w", err)
		}
		stack, err := proxy.AwaitConfiguration(ctx)
		if err != nil {
			return fmt.Errorf("waiting for the stack configuration: %w", err)
		}
		if extra, err = stackEnviron(stack); err != nil {
			return err
		}
	}
	cmd.Env = in.environ(base, extra...)

	if err := cmd.Start(); err != nil {
		if proxy != nil {
			proxy.Abort(err)
		}
		return status.Errorf(codes.FailedPrecondition, "could not start %s: %v", in.python, err)
	}
	if proxy != nil {
		err = proxy.Attach(ctx, cmd)
	} else {
		err = cmd.Wait()
	}

	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		return err
	}
	code := 0
	if exitErr != nil {
		code = exitErr.ExitCode() // -1 when a signal ended it
	}
	sendMu.Lock()
	defer sendMu.Unlock()
	return stream.Send(&pulumirpc.RunPluginResponse{
		Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(code)},
	})
}

// stackEnviron renders the engine's ConfigureStack request (nil when the engine runs the pack
// outside a stack, as `pulumi policy publish` does) as the variables pulumi.policy reads.
func stackEnviron(stack *pulumirpc.AnalyzerStackConfigureRequest) ([]string, error) {
	if stack == nil {
		return nil, nil
	}
	env := []string{"PULUMI_DRY_RUN=" + strconv.FormatBool(stack.DryRun)}
	for k, v := range map[string]string{
		"PULUMI_ORGANIZATION": stack.Organization,
		"PULUMI_PROJECT":      stack.Project,
		"PULUMI_STACK":        stack.Stack,
	} {
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	if stack.Config != nil {
		config, err := json.Marshal(stack.Config)
		if err != nil {
			return nil, fmt.Errorf("encoding the stack configuration: %w", err)
		}
		env = append(env, "PULUMI_CONFIG="+string(config))
	}
	return env, nil
}

// streamWriter sends a plugin's output to the engine. exec.Cmd copies stdout and stderr in
// separate goroutines (and the policy proxy copies stdout in a third), but a gRPC stream must not
// be sent on from two goroutines at once, hence the mutex the writers of one stream share.
type streamWriter struct {
	mu     *sync.Mutex
	stream pulumirpc.LanguageRuntime_RunPluginServer
	stderr bool
}

func (w *streamWriter) Write(p []byte) (int, error) {
	msg := &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: p}}
	if w.stderr {
		msg.Output = &pulumirpc.RunPluginResponse_Stderr{Stderr: p}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.stream.Send(msg); err != nil {
		return 0, err
	}
	return len(p), nil
}
