/**
 * The policy pack: `pulumi preview --policy-pack policy`. Only adapts Pulumi's policy arguments
 * to the pure rules of catalog.ts; never imported by tests, because constructing a PolicyPack
 * starts the analyzer's gRPC server.
 */
import { Policies, PolicyPack, ReportViolation, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import { ResourceRule, RULES, StackRule } from "./catalog";
import { StackResource } from "./types";

function validateResource(rule: ResourceRule) {
  return (args: ResourceValidationArgs, report: ReportViolation) => {
    for (const message of rule.check({ type: args.type, props: args.props })) report(message);
  };
}

function validateStack(rule: StackRule) {
  return (args: StackValidationArgs, report: ReportViolation) => {
    const resources: StackResource[] = args.resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.props, protect: r.opts.protect }));
    for (const v of rule.check(resources, args.getConfig<Record<string, unknown>>())) report(v.message, v.urn);
  };
}

const policies: Policies = RULES.map((rule) =>
  rule.kind === "resource"
    ? { name: rule.name, description: rule.description, enforcementLevel: "mandatory", validateResource: validateResource(rule) }
    : { name: rule.name, description: rule.description, enforcementLevel: "mandatory", configSchema: rule.configSchema, validateStack: validateStack(rule) },
);

new PolicyPack("dagster-platform", { enforcementLevel: "mandatory", policies });
