import * as pulumi from "@pulumi/pulumi";
import type { RegisterResourceOutputsRequest, RegisterResourceRequest, ReadResourceRequest } from "@pulumi/pulumi/proto/resource_pb";
import { ComputedContext, computedId, computedOutputs } from "./computed";
import { RecordedResource, mask, recordOutputs, recordRead, recordRegistration } from "./record";

type Callback = (err: Error | null, res?: unknown) => void;
/** The part of the mock monitor this harness intercepts. */
interface InterceptableMonitor {
  invoke(req: { getTok(): string }, cb: Callback): void;
  registerResource(req: RegisterResourceRequest, cb: Callback): void;
  readResource(req: ReadResourceRequest, cb: Callback): void;
  registerResourceOutputs(req: RegisterResourceOutputsRequest, cb: Callback): void;
}

export interface OfflineRun {
  resources: RecordedResource[];
  /** Provider functions the program called (data-source lookups such as `getCluster`). */
  invokes: string[];
  /** Stack outputs with secrets masked. */
  outputs: Record<string, unknown>;
  /** Stack outputs as a StackReference would see them (secrets unwrapped): offline only. */
  rawOutputs: Record<string, unknown>;
}

interface SettingsInternals {
  waitForRPCs(): Promise<void>;
}

function unwrapSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (obj["4dabf18193072939515e22adb298388d"] === "1b47061264138c4ac30d75fd1eb44270") return unwrapSecrets(obj.value);
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}

/** A program that failed offline, with what it had registered before it did. */
export class OfflineRunError extends Error {
  constructor(
    readonly cause: unknown,
    readonly registered: RecordedResource[],
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = "OfflineRunError";
  }
}

/**
 * Runs a Pulumi program under the mock runtime, with the given config, and records every
 * resource it registers. The program is run inside a real Stack resource, as the CLI does.
 */
export async function runOffline(args: {
  project: string;
  stack: string;
  config: Record<string, string>;
  secretKeys: string[];
  computed: ComputedContext;
  program: () => unknown;
}): Promise<OfflineRun> {
  const { project, stack } = args;
  await pulumi.runtime.setMocks(
    {
      newResource: (m: pulumi.runtime.MockResourceArgs) => {
        const inputs = unwrapSecrets(m.inputs) as Record<string, unknown>;
        return { id: m.id || computedId(m.type, m.name, inputs, args.computed), state: { ...inputs, ...computedOutputs(m.type, m.name, inputs, args.computed) } };
      },
      call: () => ({}),
    },
    project,
    stack,
    false,
  );
  pulumi.runtime.setAllConfig(args.config, args.secretKeys);

  const monitor = pulumi.runtime.getMonitor() as unknown as InterceptableMonitor;
  const resources: RecordedResource[] = [];
  const invokes: string[] = [];
  let stackOutputs: Record<string, unknown> = {};
  const invoke = monitor.invoke.bind(monitor);
  monitor.invoke = (req, cb) => {
    invokes.push(req.getTok());
    invoke(req, cb);
  };
  const register = monitor.registerResource.bind(monitor);
  const read = monitor.readResource.bind(monitor);
  const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResource = (req, cb) => {
    resources.push(recordRegistration(req, stack, project));
    register(req, cb);
  };
  monitor.readResource = (req, cb) => {
    resources.push(recordRead(req, stack, project));
    read(req, cb);
  };
  monitor.registerResourceOutputs = (req, cb) => {
    const { urn, outputs } = recordOutputs(req);
    if (urn.split("::")[2] === "pulumi:pulumi:Stack") stackOutputs = outputs;
    registerOutputs(req, cb);
  };

  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const settings = require("@pulumi/pulumi/runtime/settings") as SettingsInternals;
  // The SDK takes a stack trace for every resource (its source position, unlimited depth) and
  // every promise (leak reports); under ts-node's source maps that is most of a plan's time. A
  // plan needs neither, so both are switched off while it runs, and put back after.
  const stackTraceLimit = Error.stackTraceLimit;
  const resourceClass = pulumi.Resource as unknown as { callsites: () => unknown[] };
  const callsites = resourceClass.callsites;
  Error.stackTraceLimit = 0;
  resourceClass.callsites = () => [];
  try {
    await pulumi.runtime.runInPulumiStack(async () => args.program());
  } catch (e) {
    await settings.waitForRPCs();
    throw new OfflineRunError(e, resources.filter((r) => r.type !== "pulumi:pulumi:Stack"));
  } finally {
    await settings.waitForRPCs();
    Error.stackTraceLimit = stackTraceLimit;
    resourceClass.callsites = callsites;
  }
  return {
    invokes,
    resources: resources.filter((r) => r.type !== "pulumi:pulumi:Stack"),
    outputs: mask(stackOutputs) as Record<string, unknown>,
    rawOutputs: unwrapSecrets(stackOutputs) as Record<string, unknown>,
  };
}
