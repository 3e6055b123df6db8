import * as pulumi from "@pulumi/pulumi";
import { Result } from "@pulumi/pulumi/proto/resource_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import type { RegisterResourceOutputsRequest, RegisterResourceRequest, ReadResourceRequest } from "@pulumi/pulumi/proto/resource_pb";
import { ComputedContext, STACK_REFERENCE, computedId, computedOutputs, stackReferenceState } from "./computed";
import { RecordedResource, mask, recordOutputs, recordRead, recordRegistration, urnOf } from "./record";

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

interface DebuggableInternals {
  debuggablePromise: <T>(p: Promise<T>, ctx: unknown) => Promise<T>;
}

/** The value with every secret wrapper replaced by its content; unchanged parts are shared, not copied. */
function unwrapSecrets(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(unwrapSecrets);
    return items.some((v, i) => v !== value[i]) ? items : value;
  }
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (obj["4dabf18193072939515e22adb298388d"] === "1b47061264138c4ac30d75fd1eb44270") return unwrapSecrets(obj.value);
    let copy: Record<string, unknown> | undefined;
    for (const [k, v] of Object.entries(obj)) {
      const u = unwrapSecrets(v);
      if (u !== v) (copy ??= { ...obj })[k] = u;
    }
    return copy ?? obj;
  }
  return value;
}

/**
 * A Struct that keeps the plain object it was made from. Under the mock monitor a request never
 * leaves the process, yet the SDK encodes every resource's properties to protobuf and the monitor
 * decodes them again: with this, `toJavaScript()` returns the object the SDK encoded, and the
 * encoding is skipped. (google-protobuf keeps a set wrapper field and hands the same instance
 * back from the getter, so `req.getObject()` is this.)
 */
class PlainStruct extends Struct {
  constructor(private readonly plain: ReturnType<Struct["toJavaScript"]>) {
    super();
  }

  override toJavaScript(): ReturnType<Struct["toJavaScript"]> {
    return this.plain;
  }
}

/** The part of a RegisterResourceResponse the SDK reads (runtime/resource.js, `registerResource`). */
interface RegistrationAnswer {
  getUrn(): string;
  getId(): string;
  getPropertydependenciesMap(): undefined;
  getResult(): number;
  getObject(): { toJavaScript(): Record<string, unknown> };
}

/**
 * Answers a registration the way the mock monitor does (state = inputs, secrets unwrapped, plus
 * what the provider would compute), from the request's properties decoded once. The mock monitor
 * decodes them twice, re-serializes them property by property, encodes the state to protobuf for
 * the SDK to decode again, and keeps every state in memory: most of a large plan's time and
 * memory. The SDK only calls the getters below, and decodes the state with `toJavaScript()`.
 */
function answer(req: RegisterResourceRequest, wire: Record<string, unknown>, stack: string, project: string, ctx: ComputedContext): RegistrationAnswer {
  const type = req.getType();
  const name = req.getName();
  const inputs = unwrapSecrets(wire) as Record<string, unknown>;
  const state = { ...inputs, ...computedOutputs(type, name, inputs, ctx) };
  const urn = urnOf(stack, project, req.getParent(), type, name);
  const id = req.getImportid() || computedId(type, name, inputs, ctx);
  return {
    getUrn: () => urn,
    getId: () => id,
    getPropertydependenciesMap: () => undefined,
    getResult: () => Result.SUCCESS,
    getObject: () => ({ toJavaScript: () => state }),
  };
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

export interface OfflineRunArgs {
  project: string;
  stack: string;
  config: Record<string, string>;
  secretKeys: string[];
  computed: ComputedContext;
  program: () => unknown;
  /** Record secret inputs in clear (policy-rule tests only: the engine shows analyzers values, not marks). */
  revealSecrets?: boolean;
}

/** What the intercepted monitor has seen of the program so far. */
interface Recording {
  resources: RecordedResource[];
  invokes: string[];
  /** The Stack's registered outputs; empty until the program has finished. */
  stackOutputs: Record<string, unknown>;
}

/**
 * Runs a Pulumi program under the mock runtime, with the given config, and records every
 * resource it registers. The program is run inside a real Stack resource, as the CLI does.
 */
export async function runOffline(args: OfflineRunArgs): Promise<OfflineRun> {
  await installMocks(args);
  const recording = interceptMonitor(args);
  await runInStack(args.program, recording);
  return {
    invokes: recording.invokes,
    resources: programResources(recording),
    outputs: mask(recording.stackOutputs) as Record<string, unknown>,
    rawOutputs: unwrapSecrets(recording.stackOutputs) as Record<string, unknown>,
  };
}

/** The mock runtime, set up for this stack and config; the monitor it creates is intercepted next. */
async function installMocks(args: OfflineRunArgs): Promise<void> {
  await pulumi.runtime.setMocks(
    {
      // Reads only (registrations are answered by interceptMonitor): StackReferences and `Resource.get`.
      newResource: async (m: pulumi.runtime.MockResourceArgs) => {
        const inputs = unwrapSecrets(m.inputs) as Record<string, unknown>;
        const computed = m.type === STACK_REFERENCE ? await stackReferenceState(m.name, inputs, args.computed) : computedOutputs(m.type, m.name, inputs, args.computed);
        return { id: m.id || computedId(m.type, m.name, inputs, args.computed), state: { ...inputs, ...computed } };
      },
      call: () => ({}),
    },
    args.project,
    args.stack,
    false,
  );
  pulumi.runtime.setAllConfig(args.config, args.secretKeys);
}

/** Replaces the mock monitor's handlers with ones that record each request before answering it. */
function interceptMonitor(args: OfflineRunArgs): Recording {
  const { project, stack } = args;
  const monitor = pulumi.runtime.getMonitor() as unknown as InterceptableMonitor;
  const recording: Recording = { resources: [], invokes: [], stackOutputs: {} };
  const invoke = monitor.invoke.bind(monitor);
  monitor.invoke = (req, cb) => {
    recording.invokes.push(req.getTok());
    invoke(req, cb);
  };
  const read = monitor.readResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    try {
      const wire = (req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>;
      recording.resources.push(recordRegistration(req, stack, project, wire, args.revealSecrets));
      cb(null, answer(req, wire, stack, project, args.computed));
    } catch (e) {
      cb(e as Error);
    }
  };
  monitor.readResource = (req, cb) => {
    recording.resources.push(recordRead(req, stack, project));
    read(req, cb);
  };
  // Registered outputs matter only for the Stack (the mock monitor would look the URN up in the
  // states it keeps, which the lean registration above does not).
  monitor.registerResourceOutputs = (req, cb) => {
    const { urn, outputs } = recordOutputs(req);
    if (urn.split("::")[2] === "pulumi:pulumi:Stack") recording.stackOutputs = outputs;
    cb(null, {});
  };
  return recording;
}

/**
 * Runs the program inside a Stack with the SDK's debugging overhead off, and waits for every
 * request it started, failed or not, so that the recording is complete when this returns.
 */
async function runInStack(program: () => unknown, recording: Recording): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const settings = require("@pulumi/pulumi/runtime/settings") as SettingsInternals;
  const restore = switchOffDebugOverhead();
  try {
    await pulumi.runtime.runInPulumiStack(async () => program());
  } catch (e) {
    await settings.waitForRPCs();
    throw new OfflineRunError(e, programResources(recording));
  } finally {
    await settings.waitForRPCs();
    restore();
  }
}

/**
 * The SDK takes a stack trace for every resource (its source position, unlimited depth) and
 * wraps every promise for leak reports (three properties, a stack trace and two more promises
 * each); under ts-node's source maps that is most of a plan's time and garbage. A plan needs
 * none of it, so it is switched off while the plan runs; the returned function puts it back.
 */
function switchOffDebugOverhead(): () => void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const debuggable = require("@pulumi/pulumi/runtime/debuggable") as DebuggableInternals;
  const stackTraceLimit = Error.stackTraceLimit;
  const resourceClass = pulumi.Resource as unknown as { callsites: () => unknown[] };
  const callsites = resourceClass.callsites;
  const debuggablePromise = debuggable.debuggablePromise;
  const fromJavaScript = Struct.fromJavaScript;
  Error.stackTraceLimit = 0;
  resourceClass.callsites = () => [];
  debuggable.debuggablePromise = (p) => p;
  Struct.fromJavaScript = (plain) => new PlainStruct(plain);
  return () => {
    Error.stackTraceLimit = stackTraceLimit;
    resourceClass.callsites = callsites;
    debuggable.debuggablePromise = debuggablePromise;
    Struct.fromJavaScript = fromJavaScript;
  };
}

/** The recorded resources without the Stack: the harness declares it, not the program. */
function programResources(recording: Recording): RecordedResource[] {
  return recording.resources.filter((r) => r.type !== "pulumi:pulumi:Stack");
}
