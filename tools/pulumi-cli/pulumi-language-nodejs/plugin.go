package main

import (
	"encoding/json"
	"errors"
	"fmt"
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
	info := req.GetInfo()
	opts, err := parseOptions(info.GetOptions())
	if err != nil {
		return err
	}
	isPolicyPack := req.GetKind() == string(apitype.AnalyzerPlugin)
	module := "@pulumi/pulumi/cmd/run-plugin"
	if isPolicyPack {
		module = "@pulumi/pulumi/cmd/run-policy-pack"
	}
	entry, err := resolveModule(ctx, module, info.GetProgramDirectory())
	if err != nil {
		return err
	}
	args := append(append([]string{}, opts.nodeArgs...), entry)
	if isPolicyPack {
		args = append(append(args, req.GetArgs()...), info.GetProgramDirectory())
	} else {
		args = append(append(args, info.GetProgramDirectory()), req.GetArgs()...)
	}
	env := opts.env(req.GetEnv())

	var proxy *sdk.PolicyProxy
	if isPolicyPack {
		if proxy, stdout, err = sdk.NewPolicyProxy(ctx, stdout); err != nil {
			return fmt.Errorf("starting the policy pack proxy: %w", err)
		}
		stackConfig, err := proxy.AwaitConfiguration(ctx)
		if err != nil {
			return fmt.Errorf("waiting for the stack configuration: %w", err)
		}
		if env, err = policyEnv(env, stackConfig); err != nil {
			return err
		}
	}

	cmd := exec.CommandContext(ctx, "node", args...)
	cmd.Dir = req.GetPwd()
	if isPolicyPack {
		cmd.Dir = info.GetProgramDirectory()
	}
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("could not start node: %w", err)
	}
	if proxy != nil {
		err = proxy.Attach(ctx, cmd)
	} else {
		err = cmd.Wait()
	}
	if exitErr := (*exec.ExitError)(nil); errors.As(err, &exitErr) {
		return fmt.Errorf("Program exited with non-zero exit code: %d", exitErr.ExitCode())
	}
	if err != nil {
		return err
	}
	return closer.Close()
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
