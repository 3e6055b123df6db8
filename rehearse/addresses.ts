/**
 * Who answers at which address inside the rehearsal's own network namespace, and the /etc/hosts
 * that makes the cluster's names resolve there: each location's Service name, the webserver
 * Service, and the headless peers name the verification Job resolves to every replica. Pure.
 */
import { systemObjectNames } from "../chart/names";
import { WEBSERVER_PEERS_SERVICE } from "../render/verification";
import { StepPlan } from "./types";

export interface AddressPlan {
  /** Location name -> its code server's address (one per Service, as a ClusterIP would be). */
  locations: Record<string, string>;
  webservers: string[];
  /** Where PostgreSQL listens: the values' host when it is an IP, else an address of its own. */
  postgres: string;
  /** Addresses outside 127.0.0.0/8 the namespace's loopback device must carry (e.g. Cloud SQL's private IP). */
  extraLoopback: string[];
  hosts: string;
}

/** glibc's resolver returns every address of a name listed on several lines only with this. */
export const HOST_CONF = "multi on\n";

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** 127.1.x.y for the n-th location (n from 0): room for 65,000 locations. */
function locationAddress(n: number): string {
  return `127.1.${Math.floor((n + 1) / 256)}.${(n + 1) % 256}`;
}

/** Addresses for every location of every step (a name keeps its address across steps). */
export function planAddresses(steps: StepPlan[], postgresHost: string): AddressPlan {
  const names = [...new Set(steps.flatMap((s) => s.locations.map((l) => l.name)))].sort();
  const locations = Object.fromEntries(names.map((name, i) => [name, locationAddress(i)]));
  const replicas = Math.max(...steps.map((s) => Number(((s.system.dagsterWebserver ?? {}) as { replicaCount?: number }).replicaCount ?? 1)));
  const webservers = Array.from({ length: replicas }, (_, i) => `127.0.1.${i + 1}`);
  const postgresIsIp = IPV4.test(postgresHost);
  const postgres = postgresIsIp ? postgresHost : "127.0.2.1";
  const extraLoopback = postgresIsIp && !postgresHost.startsWith("127.") ? [postgresHost] : [];
  const namespaces = [...new Set(steps.map((s) => s.namespace))];
  const lines = ["127.0.0.1 localhost"];
  for (const [name, address] of Object.entries(locations)) lines.push(`${address} ${name} ${namespaces.map((ns) => `${name}.${ns}.svc.cluster.local`).join(" ")}`);
  const service = systemObjectNames().webserverService;
  lines.push(`${webservers[0]} ${service} ${namespaces.map((ns) => `${service}.${ns}.svc.cluster.local`).join(" ")}`);
  // glibc returns every address of a name listed on several lines (`multi on`, Debian's default).
  for (const address of webservers) lines.push(`${address} ${namespaces.map((ns) => `${WEBSERVER_PEERS_SERVICE}.${ns}.svc.cluster.local`).join(" ")}`);
  if (!postgresIsIp) lines.push(`${postgres} ${postgresHost}`);
  return { locations, webservers, postgres, extraLoopback, hosts: lines.join("\n") + "\n" };
}
