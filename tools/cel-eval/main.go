// cel-eval runs ValidatingAdmissionPolicy expressions on cel-go, the CEL implementation the
// Kubernetes API server uses, the way the server runs one policy for one request: match
// conditions first, then the variables (each may use the ones before), then every validation.
// Input on stdin: a JSON list of admissions; output on stdout: a JSON list of results.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/google/cel-go/cel"
)

type variable struct {
	Name       string `json:"name"`
	Expression string `json:"expression"`
}

type admission struct {
	MatchConditions []string       `json:"matchConditions"`
	Variables       []variable     `json:"variables"`
	Validations     []string       `json:"validations"`
	Vars            map[string]any `json:"vars"`
}

type result struct {
	Matched bool   `json:"matched"`
	Failed  []int  `json:"failed"`
	Error   string `json:"error,omitempty"`
}

// ints turns JSON numbers without a fraction into int64, as the API server hands integers to CEL.
func ints(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil && !strings.ContainsAny(x.String(), ".eE") {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = ints(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = ints(e)
		}
		return x
	}
	return v
}

func eval(env *cel.Env, expr string, vars map[string]any) (any, error) {
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		return nil, iss.Err()
	}
	prg, err := env.Program(ast)
	if err != nil {
		return nil, err
	}
	out, _, err := prg.Eval(vars)
	if err != nil {
		return nil, err
	}
	return out.Value(), nil
}

func admit(env *cel.Env, a admission) result {
	vars := map[string]any{}
	for _, k := range []string{"request", "object", "oldObject", "namespaceObject", "params"} {
		vars[k] = ints(a.Vars[k])
	}
	variables := map[string]any{}
	vars["variables"] = variables
	for _, m := range a.MatchConditions {
		v, err := eval(env, m, vars)
		if err != nil {
			return result{Error: fmt.Sprintf("match condition: %v", err)}
		}
		if v != true {
			return result{Matched: false, Failed: []int{}}
		}
	}
	for _, v := range a.Variables {
		value, err := eval(env, v.Expression, vars)
		if err != nil {
			return result{Error: fmt.Sprintf("variable %s: %v", v.Name, err)}
		}
		variables[v.Name] = value
	}
	failed := []int{}
	for i, v := range a.Validations {
		value, err := eval(env, v, vars)
		if err != nil {
			return result{Error: fmt.Sprintf("validation %d: %v", i, err)}
		}
		if value != true {
			failed = append(failed, i)
		}
	}
	return result{Matched: true, Failed: failed}
}

func main() {
	env, err := cel.NewEnv(
		cel.Variable("request", cel.DynType),
		cel.Variable("object", cel.DynType),
		cel.Variable("oldObject", cel.DynType),
		cel.Variable("namespaceObject", cel.DynType),
		cel.Variable("params", cel.DynType),
		cel.Variable("variables", cel.MapType(cel.StringType, cel.DynType)),
	)
	if err != nil {
		panic(err)
	}
	dec := json.NewDecoder(os.Stdin)
	dec.UseNumber()
	var input []admission
	if err := dec.Decode(&input); err != nil {
		panic(err)
	}
	out := make([]result, len(input))
	for i, a := range input {
		out[i] = admit(env, a)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		panic(err)
	}
}
