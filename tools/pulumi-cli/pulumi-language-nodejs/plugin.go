package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"

	sdk "github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// RunPlugin runs a plugin written in Node.js, streaming its output back to the CLI. Policy packs
// (kind "analyzer") start through @pulumi/pulumi's `cmd/run-policy-pack` with the pack's directory
// last and as working directory; the stack's identity and configuration reach them as
// environment, learnt from the engine through the SDK's PolicyProxy before the pack starts.
func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	ctx := server.Context()
	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return err
	}
	defer closer.Close()
	opts, err := parseOptions(req.GetInfo().GetOptions())
	if err != nil {
		return err
	}
	isPolicyPack := req.GetKind() == string(apitype.AnalyzerPlugin)
	args, err := pluginArgs(ctx, req, opts, isPolicyPack)
	if err != nil {
		return err
	}
	env := opts.env(req.GetEnv())
	var proxy *sdk.PolicyProxy
	if isPolicyPack {
		if proxy, stdout, env, err = startPolicyProxy(ctx, stdout, env); err != nil {
			return err
		}
	}
	cmd := exec.CommandContext(ctx, "node", args...)
	cmd.Dir = req.GetPwd()
	if isPolicyPack {
		cmd.Dir = req.GetInfo().GetProgramDirectory()
	}
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := runPlugin(ctx, cmd, proxy); err != nil {
		return err
	}
	return closer.Close()
}

// pluginArgs is node's command line: the entry point, then the plugin's directory and arguments
// (for a policy pack the arguments come first and its directory last).
func pluginArgs(ctx context.Context, req *pulumirpc.RunPluginRequest, opts nodeOptions, isPolicyPack bool) ([]string, error) {
	module := "@pulumi/pulumi/cmd/run-plugin"
	if isPolicyPack {
		module = "@pulumi/pulumi/cmd/run-policy-pack"
	}
	dir := req.GetInfo().GetProgramDirectory()
	entry, err := resolveModule(ctx, module, dir)
	if err != nil {
		return nil, err
	}
	args := append(append([]string{}, opts.nodeArgs...), entry)
	if isPolicyPack {
		return append(append(args, req.GetArgs()...), dir), nil
	}
	return append(append(args, dir), req.GetArgs()...), nil
}

// startPolicyProxy answers the engine's first analyzer calls itself, so that the stack's
// configuration is known before the policy pack starts.
func startPolicyProxy(ctx context.Context, stdout io.Writer, env []string) (*sdk.PolicyProxy, io.Writer, []string, error) {
	proxy, proxied, err := sdk.NewPolicyProxy(ctx, stdout)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("starting the policy pack proxy: %w", err)
	}
	stackConfig, err := proxy.AwaitConfiguration(ctx)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("waiting for the stack configuration: %w", err)
	}
	env, err = policyEnv(env, stackConfig)
	return proxy, proxied, env, err
}

func runPlugin(ctx context.Context, cmd *exec.Cmd, proxy *sdk.PolicyProxy) error {
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("could not start node: %w", err)
	}
	var err error
	if proxy != nil {
		err = proxy.Attach(ctx, cmd)
	} else {
		err = cmd.Wait()
	}
	if exitErr := (*exec.ExitError)(nil); errors.As(err, &exitErr) {
		return fmt.Errorf("Program exited with non-zero exit code: %d", exitErr.ExitCode())
	}
	return err
}

// policyEnv is what @pulumi/policy reads to know the stack it checks.
func policyEnv(env []string, c *pulumirpc.AnalyzerStackConfigureRequest) ([]string, error) {
	if c == nil {
		return env, nil
	}
	add := func(k, v string) {
		if v != "" {
			env = append(env, k+"="+v)
		}
	}
	add("PULUMI_NODEJS_ORGANIZATION", c.GetOrganization())
	add("PULUMI_NODEJS_PROJECT", c.GetProject())
	add("PULUMI_NODEJS_STACK", c.GetStack())
	add("PULUMI_NODEJS_DRY_RUN", strconv.FormatBool(c.GetDryRun()))
	if c.GetConfig() != nil {
		configJSON, err := json.Marshal(c.GetConfig())
		if err != nil {
			return nil, err
		}
		add("PULUMI_CONFIG", string(configJSON))
	}
	return env, nil
}
