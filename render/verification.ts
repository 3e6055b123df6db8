/**
 * What the workspace verification Job is told (its environment) and how long it may take. Pure, so
 * the rules are tested directly; components/WorkspaceVerification.ts puts them into the Job, and
 * the rehearsal reads them back from the plan and runs the verifier with exactly these.
 */
import { WEBSERVER_PEERS_SERVICE } from "../chart/names";
import { sha256 } from "./workspace";

export { WEBSERVER_PEERS_SERVICE };

/** Where the Job mounts the workspace ConfigMap: the path the webserver and daemon mount it at. */
export const WORKSPACE_MOUNT_DIR = "/dagster-workspace";
export const WORKSPACE_FILE = `${WORKSPACE_MOUNT_DIR}/workspace.yaml`;
/** The fixed part of one reloadWorkspace request's timeout (verify_workspace.py's default). */
export const RELOAD_BASE_SECONDS = 60;

export interface VerificationTiming {
  /** VERIFY_TIMEOUT_SECONDS: the whole verification. */
  totalSeconds: number;
  /** VERIFY_RELOAD_SECONDS_PER_LOCATION: one reload reloads every location, one after another. */
  reloadSecondsPerLocation: number;
}

/**
 * Every replica is reloaded once, one after the other, and each reload reloads every location:
 * the time allowed grows with locations x replicas, on top of `verifyTimeoutSeconds` (the kubelet
 * sync and code servers settling).
 */
export function verificationTiming(args: { baseSeconds: number; secondsPerLocation: number; locations: number; replicas: number }): VerificationTiming {
  return {
    totalSeconds: args.baseSeconds + args.secondsPerLocation * args.locations * args.replicas,
    reloadSecondsPerLocation: args.secondsPerLocation,
  };
}

export interface VerifierEnvArgs {
  namespace: string;
  graphqlUrl: string;
  webserverPort: number;
  webserverReplicas: number;
  expectedLocations: readonly string[];
  workspaceYaml: string;
  timing: VerificationTiming;
}

/** The Job's environment, as verify/verify_workspace.py reads it. */
export function verifierEnv(args: VerifierEnvArgs): { name: string; value: string }[] {
  return [
    { name: "DAGSTER_GRAPHQL_URL", value: args.graphqlUrl },
    { name: "DAGSTER_WEBSERVER_PEERS", value: `${WEBSERVER_PEERS_SERVICE}.${args.namespace}.svc.cluster.local` },
    { name: "DAGSTER_WEBSERVER_PORT", value: String(args.webserverPort) },
    { name: "DAGSTER_WEBSERVER_REPLICAS", value: String(args.webserverReplicas) },
    { name: "EXPECTED_LOCATIONS", value: [...args.expectedLocations].sort().join(",") },
    // The Job mounts the same ConfigMap: no webserver is reloaded before the new file is there.
    { name: "WORKSPACE_FILE", value: WORKSPACE_FILE },
    { name: "EXPECTED_WORKSPACE_SHA256", value: sha256(args.workspaceYaml) },
    { name: "VERIFY_TIMEOUT_SECONDS", value: String(args.timing.totalSeconds) },
    { name: "VERIFY_RELOAD_SECONDS_PER_LOCATION", value: String(args.timing.reloadSecondsPerLocation) },
    { name: "PYTHONDONTWRITEBYTECODE", value: "1" },
  ];
}
