/**
 * The preview cluster's admission policies on cel-go, the CEL implementation of the Kubernetes
 * API server (tools/cel-eval, built from the Go module on first use): the scenarios npm test runs
 * on a JS evaluator must come out the same on the real one.
 */
import { strict as assert } from "assert";
import { ensureCelEval, evaluateAdmissions } from "../../tools/celEval";
import { SCENARIOS, admissionInput, mismatch } from "../fixtures/admission/scenarios";

describe("admission policies on cel-go", function () {
  this.timeout(15 * 60_000);
  let results: ReturnType<typeof evaluateAdmissions>;
  before(() => {
    results = evaluateAdmissions(ensureCelEval((line) => console.log(`    ${line}`)), SCENARIOS.map(admissionInput));
  });

  it(`every scenario (${SCENARIOS.length}) has its outcome`, () => {
    const problems = SCENARIOS.map((s, i) => mismatch(s, results[i])).filter((p) => p !== undefined);
    assert.deepEqual(problems, []);
  });
});
