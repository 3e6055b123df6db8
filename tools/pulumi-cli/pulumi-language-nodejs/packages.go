package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// packageJSON is the part of a package.json that marks a Pulumi resource-plugin package.
type packageJSON struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Pulumi  struct {
		Resource bool   `json:"resource"`
		Name     string `json:"name"`
		Version  string `json:"version"`
		Server   string `json:"server"`
	} `json:"pulumi"`
}

// GetRequiredPackages lists the resource plugins the program's installed packages declare
// (`"pulumi": {"resource": true}` in their package.json), so the CLI can check they are present
// before running. Unlike the upstream host it looks only at the program's own node_modules
// (packages and @scope/packages), not at nested node_modules folders.
func (h *host) GetRequiredPackages(_ context.Context, req *pulumirpc.GetRequiredPackagesRequest) (*pulumirpc.GetRequiredPackagesResponse, error) {
	root := filepath.Join(req.GetInfo().GetProgramDirectory(), "node_modules")
	var deps []*pulumirpc.PackageDependency
	for _, dir := range packageDirs(root) {
		if dep := pluginOf(dir); dep != nil {
			deps = append(deps, dep)
		}
	}
	sort.Slice(deps, func(i, j int) bool { return deps[i].Name < deps[j].Name })
	return &pulumirpc.GetRequiredPackagesResponse{Packages: deps}, nil
}

func packageDirs(root string) []string {
	var dirs []string
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		p := filepath.Join(root, e.Name())
		if !strings.HasPrefix(e.Name(), "@") {
			dirs = append(dirs, p)
			continue
		}
		scoped, _ := os.ReadDir(p)
		for _, s := range scoped {
			dirs = append(dirs, filepath.Join(p, s.Name()))
		}
	}
	return dirs
}

func pluginOf(dir string) *pulumirpc.PackageDependency {
	data, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return nil
	}
	var pkg packageJSON
	if json.Unmarshal(data, &pkg) != nil || !pkg.Pulumi.Resource {
		return nil
	}
	name := pkg.Pulumi.Name
	if name == "" {
		name = strings.TrimPrefix(pkg.Name, "@pulumi/")
	}
	version := pkg.Pulumi.Version
	if version == "" {
		version = pkg.Version
	}
	if version != "" && !strings.HasPrefix(version, "v") {
		version = "v" + version
	}
	return &pulumirpc.PackageDependency{Name: name, Kind: "resource", Version: version, Server: pkg.Pulumi.Server}
}
