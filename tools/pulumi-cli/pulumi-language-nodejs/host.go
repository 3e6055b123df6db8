package main

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// host implements the LanguageRuntime service; methods it does not define come from the
// embedded Unimplemented server.
type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	mu            sync.Mutex
	engineAddress string
	// Cancelled by the Cancel RPC (the CLI's Ctrl-C): running programs get an interrupt.
	cancelCtx  context.Context
	cancelFunc context.CancelFunc
}

func newHost(ctx context.Context) *host {
	cctx, cancel := context.WithCancel(ctx)
	return &host{cancelCtx: cctx, cancelFunc: cancel}
}

func (h *host) engine() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.engineAddress
}

// Handshake is how the CLI hands over the engine address when it did not pass one on the
// command line; like the command-line form, the host then exits when the engine goes away.
func (h *host) Handshake(ctx context.Context, req *pulumirpc.LanguageHandshakeRequest) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.mu.Lock()
	h.engineAddress = req.GetEngineAddress()
	h.mu.Unlock()
	if addr := req.GetEngineAddress(); addr != "" {
		if err := rpcutil.Healthcheck(h.cancelCtx, addr, 5*time.Minute, h.cancelFunc); err != nil {
			return nil, fmt.Errorf("engine health check: %w", err)
		}
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (h *host) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	h.cancelFunc()
	return &emptypb.Empty{}, nil
}

// nodeOptions are the project's `runtime.options` this host honours.
type nodeOptions struct {
	typescript   bool
	tsconfigPath string
	nodeArgs     []string
}

// parseOptions reads runtime options as the CLI documents them: typescript defaults to true.
func parseOptions(opts *structpb.Struct) (nodeOptions, error) {
	o := nodeOptions{typescript: true}
	m := opts.AsMap()
	if v, ok := m["typescript"]; ok {
		b, isBool := v.(bool)
		if !isBool {
			return o, errors.New("runtime option typescript must be a boolean")
		}
		o.typescript = b
	}
	if v, ok := m["tsconfig"]; ok {
		s, isString := v.(string)
		if !isString {
			return o, errors.New("runtime option tsconfig must be a string")
		}
		o.tsconfigPath = s
	}
	if v, ok := m["nodeargs"]; ok {
		s, isString := v.(string)
		if !isString {
			return o, errors.New("runtime option nodeargs must be a string")
		}
		// Whitespace-separated only: this host does not implement shell quoting.
		o.nodeArgs = strings.Fields(s)
	}
	return o, nil
}

// env adds what @pulumi/pulumi's entry points read about the program's language settings.
func (o nodeOptions) env(base []string) []string {
	out := append([]string{}, base...)
	if o.typescript {
		out = append(out, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if o.tsconfigPath != "" {
		out = append(out, "PULUMI_NODEJS_TSCONFIG_PATH="+o.tsconfigPath)
	}
	return out
}

// resolveModule finds an @pulumi/pulumi entry point the way the program itself would: Node's
// module resolution from the program's directory, so program and host use one SDK copy.
func resolveModule(ctx context.Context, module, dir string) (string, error) {
	script := fmt.Sprintf("process.stdout.write(require.resolve(%q))", module)
	cmd := exec.CommandContext(ctx, "node", "-e", script)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return "", fmt.Errorf("cannot resolve %s from %s (is @pulumi/pulumi installed there?): %s", module, dir, strings.TrimSpace(string(exitErr.Stderr)))
		}
		return "", err
	}
	return string(out), nil
}
