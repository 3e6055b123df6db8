// Command pulumi-language-nodejs is this project's own Node.js language host for the Pulumi CLI
// that tools/pulumiCli.ts builds. The upstream host lives in a nested module of pulumi/pulumi
// (sdk/nodejs/cmd/pulumi-language-nodejs) that the Go module proxy this project can reach does not
// serve, so the e2e tests run their programs through this one instead. It does only what the
// lifecycle tests need of a language host: run a program (`Run`), run a policy pack or another
// Node.js plugin (`RunPlugin`), and report the plugin packages a program depends on. Everything
// else answers Unimplemented, which the CLI treats as "this host does not support it".
//
// The contract it follows is the CLI's, at v3.248.0: the CLI starts the host with the engine's
// address as its only argument and reads the gRPC port from the host's first line of stdout
// (sdk/go/common/resource/plugin/plugin.go, newPlugin), then calls the LanguageRuntime service
// (proto/pulumi/language.proto). The Node.js side is @pulumi/pulumi's own `cmd/run`,
// `cmd/run-plugin` and `cmd/run-policy-pack` entry points, resolved from the program's directory.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"google.golang.org/grpc"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// version is what GetPluginInfo reports; the build sets it to the CLI's version.
var version = "3.248.0"

func main() {
	showVersion := flag.Bool("version", false, "print the version and exit")
	// The CLI passes -tracing and -root when it has them; accepted and ignored.
	flag.String("tracing", "", "ignored")
	flag.String("root", "", "ignored")
	flag.Parse()
	if *showVersion {
		fmt.Println(version)
		return
	}
	if err := serve(flag.Args()); err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
		os.Exit(1)
	}
}

func serve(args []string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	host := newHost(ctx)
	if len(args) > 0 {
		host.engineAddress = args[0]
		// Exit with the engine: a host orphaned by a killed CLI must not linger.
		if err := rpcutil.Healthcheck(ctx, host.engineAddress, 5*time.Minute, stop); err != nil {
			return fmt.Errorf("engine health check: %w", err)
		}
	}
	cancel := make(chan bool)
	go func() {
		<-ctx.Done()
		close(cancel)
	}()
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
	})
	if err != nil {
		return fmt.Errorf("starting the gRPC server: %w", err)
	}
	// The CLI reads exactly this line to learn where to connect.
	fmt.Printf("%d\n", handle.Port)
	return <-handle.Done
}
