/**
 * The preview cluster's admission policies, evaluated: every scenario of
 * test/fixtures/admission/scenarios.ts runs on a CEL evaluator (@bufbuild/cel, checked against
 * the CEL specification's conformance tests) the way the API server runs a policy: match
 * conditions, then variables, then validations. The branch's own objects must pass; what a
 * hostile pull request would write must not. test/e2e/50-admission-cel.e2e.ts runs the same
 * scenarios on cel-go, the API server's own CEL implementation.
 */
import { strict as assert } from "assert";
import { isCelError, run } from "@bufbuild/cel";
import type { AdmissionInput, AdmissionOutput } from "../tools/celEval";
import { EGRESS_REQUIRED, LIMITS_REQUIRED, QUOTA_REQUIRED, SCENARIOS, admissionInput, mismatch } from "./fixtures/admission/scenarios";

/** JSON as the API server hands it to CEL: objects are maps, whole numbers ints. */
function toCel(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(toCel);
  if (v !== null && typeof v === "object") return v instanceof Map ? v : new Map(Object.entries(v).map(([k, x]) => [k, toCel(x)]));
  if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
  return v;
}

function evaluate(expression: string, vars: Record<string, unknown>): unknown {
  const out = run(expression, Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, toCel(v)])) as never);
  if (isCelError(out)) throw new Error(out.message);
  return out;
}

/** The same steps as tools/cel-eval/main.go. */
function admit(input: AdmissionInput): AdmissionOutput {
  const variables = new Map<string, unknown>();
  const vars = { ...input.vars, variables };
  try {
    if (!input.matchConditions.every((m) => evaluate(m, vars) === true)) return { matched: false, failed: [] };
    for (const v of input.variables) variables.set(v.name, evaluate(v.expression, vars));
    return { matched: true, failed: input.validations.flatMap((v, i) => (evaluate(v, vars) === true ? [] : [i])) };
  } catch (e) {
    return { matched: true, failed: [], error: (e as Error).message };
  }
}

describe("admission policies of the preview cluster (CEL evaluated)", () => {
  for (const s of SCENARIOS) {
    it(s.name, () => {
      const problem = mismatch(s, admit(admissionInput(s)));
      assert.equal(problem, undefined, problem);
    });
  }

  // Every validation is needed: made always-true, at least one scenario of its policy must fail.
  for (const policy of [...new Set(SCENARIOS.map((s) => s.policy))]) {
    const validations = policy.spec.validations as { expression: string; message: string }[];
    validations.forEach((v, i) => {
      it(`${policy.name}: a scenario fails without "${v.message.slice(0, 60)}…"`, () => {
        const weakened = { ...policy, spec: { ...policy.spec, validations: validations.map((w, j) => (j === i ? { ...w, expression: "true" } : w)) } };
        const caught = SCENARIOS.filter((s) => s.policy === policy).some((s) => {
          const mutant = { ...s, policy: weakened };
          return mismatch(mutant, admit(admissionInput(mutant))) !== undefined;
        });
        assert.ok(caught, `no scenario needs validation ${i} of ${policy.name}`);
      });
    });
  }

  it("with no guardrail object at all, each binding denies (parameterNotFoundAction)", () => {
    for (const p of [EGRESS_REQUIRED, QUOTA_REQUIRED, LIMITS_REQUIRED]) assert.equal((p.binding.paramRef as { parameterNotFoundAction: string }).parameterNotFoundAction, "Deny");
  });
});
