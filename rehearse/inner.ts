/**
 * The rehearsal inside its private namespaces (started by rehearse/namespace.ts: own mount, network
 * and pid namespaces, so nothing here is visible outside and everything dies with this process):
 * the loopback device with the addresses the values name, /etc/hosts with the cluster's names,
 * PostgreSQL where the values say it is, then every step. Usage: inner.ts <spec.json> <report.json>
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { PostgresServer, startPostgres } from "../tools/postgres";
import { AddressPlan, HOST_CONF, planAddresses } from "./addresses";
import { SUBSTITUTIONS } from "./chartProcesses";
import { Cluster } from "./cluster";
import { firstStep, nextStep } from "./steps";
import { rssKb, totalRssKb } from "./supervisor";
import { RehearsalReport, RehearsalSpec, StepResult } from "./types";

type Values = Record<string, unknown>;

function log(line: string): void {
  process.stderr.write(`[rehearse ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

/** The namespace's own loopback and name resolution (a bind mount is private to this mount namespace). */
function setUpNames(spec: RehearsalSpec, addresses: AddressPlan): void {
  execFileSync("ip", ["link", "set", "lo", "up"]);
  for (const address of addresses.extraLoopback) execFileSync("ip", ["addr", "add", `${address}/32`, "dev", "lo"]);
  const hosts = path.join(spec.runDir, "hosts");
  const hostConf = path.join(spec.runDir, "host.conf");
  fs.writeFileSync(hosts, addresses.hosts);
  fs.writeFileSync(hostConf, HOST_CONF);
  execFileSync("mount", ["--bind", hosts, "/etc/hosts"]);
  execFileSync("mount", ["--bind", hostConf, "/etc/host.conf"]);
}

/** PostgreSQL at the values' host and port, with the values' user and database; TLS on, as sslmode=require needs. */
async function startDatabase(spec: RehearsalSpec, addresses: AddressPlan): Promise<PostgresServer> {
  const pg = spec.steps[0].system.postgresql as Values;
  const ssl = path.join(spec.runDir, "pg-ssl");
  fs.mkdirSync(ssl, { recursive: true });
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=rehearsal-postgres", "-days", "2", "-keyout", `${ssl}/server.key`, "-out", `${ssl}/server.crt`], { stdio: "ignore" });
  fs.chmodSync(`${ssl}/server.key`, 0o600);
  // initdb trusts 127.0.0.1 only; the values' host may be another address of this namespace.
  fs.writeFileSync(`${ssl}/pg_hba.conf`, "local all all trust\nhost all all 0.0.0.0/0 trust\n");
  if (process.getuid?.() === 0) execFileSync("chown", ["-R", "postgres:postgres", ssl]);
  const port = Number((pg.service as Values).port);
  const server = await startPostgres({ host: addresses.postgres, port, settings: { ssl: "on", ssl_cert_file: `${ssl}/server.crt`, ssl_key_file: `${ssl}/server.key`, hba_file: `${ssl}/pg_hba.conf` } });
  const sql = [`CREATE ROLE "${pg.postgresqlUsername}" LOGIN`, `CREATE DATABASE "${pg.postgresqlDatabase}" OWNER "${pg.postgresqlUsername}"`];
  for (const statement of sql) execFileSync(path.join(server.binDir, "psql"), [server.url("postgres"), "-v", "ON_ERROR_STOP=1", "-qc", statement], { stdio: "pipe" });
  log(`PostgreSQL at ${addresses.postgres}:${port}, database ${pg.postgresqlDatabase} (TLS, trust authentication)`);
  return server;
}

function stepFailed(result: StepResult): boolean {
  const bad = Object.values(result.locations).some((l) => l.status !== "LOADED");
  return bad || result.problems.length > 0 || (result.verifier.exitCode !== null && result.verifier.exitCode !== 0);
}

async function rehearse(spec: RehearsalSpec, cluster: Cluster): Promise<StepResult[]> {
  const results: StepResult[] = [];
  for (const [i, step] of spec.steps.entries()) {
    const result = i === 0 ? await firstStep(cluster, step) : await nextStep(cluster, spec.steps[i - 1], step, i);
    results.push(result);
    if (stepFailed(result)) break;
  }
  return results;
}

async function main(): Promise<void> {
  const [specFile, reportFile] = process.argv.slice(2);
  const spec = JSON.parse(fs.readFileSync(specFile, "utf8")) as RehearsalSpec;
  const addresses = planAddresses(spec.steps, String((spec.steps[0].system.postgresql as Values).postgresqlHost));
  setUpNames(spec, addresses);
  const db = await startDatabase(spec, addresses);
  const cluster = new Cluster(spec, addresses, log);
  const peak = { total: 0, webserver: 0, daemon: 0 };
  const sample = () => {
    peak.total = Math.max(peak.total, totalRssKb());
    peak.webserver = Math.max(peak.webserver, ...cluster.webservers.map((r) => rssKb(r.pid)));
    peak.daemon = Math.max(peak.daemon, cluster.daemon ? rssKb(cluster.daemon.pid) : 0);
  };
  const sampler = setInterval(sample, 1000);
  try {
    const steps = await rehearse(spec, cluster);
    sample();
    const mb = (kb: number) => Math.round(kb / 1024);
    const report: RehearsalReport = { stack: spec.stack, chartVersion: spec.chartVersion, steps, peakMemoryMb: mb(peak.total), peakWebserverMb: mb(peak.webserver), peakDaemonMb: mb(peak.daemon), substitutions: SUBSTITUTIONS };
    fs.writeFileSync(reportFile, JSON.stringify(report, null, 2));
  } finally {
    clearInterval(sampler);
    await cluster.stopAll();
    db.stop();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    log(`rehearsal failed: ${(e as Error).stack ?? e}`);
    process.exit(3);
  },
);
