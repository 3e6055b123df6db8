/**
 * A throwaway PostgreSQL server on loopback, from Debian's postgresql package (its initdb, pg_ctl
 * and postgres live in /usr/lib/postgresql/<version>/bin, often not on PATH). As root it runs
 * the server as the unprivileged `postgres` user, which initdb requires.
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";

/** The folder holding initdb, pg_ctl and postgres, or undefined when no server is installed. */
export function postgresBinDir(): string | undefined {
  const base = "/usr/lib/postgresql";
  const versions = fs.existsSync(base) ? fs.readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) {
    const dir = path.join(base, v, "bin");
    if (fs.existsSync(path.join(dir, "initdb")) && fs.existsSync(path.join(dir, "postgres"))) return dir;
  }
  return undefined;
}

/** Installs Debian's PostgreSQL 15 server when none is installed and this process may (root). */
export function ensurePostgresInstalled(log: (line: string) => void = () => undefined): string {
  const found = postgresBinDir();
  if (found) return found;
  if (process.getuid?.() !== 0) throw new Error("no PostgreSQL server found in /usr/lib/postgresql/*/bin; install Debian's postgresql-15 package");
  log("installing Debian's postgresql-15 server package");
  execFileSync("apt-get", ["install", "-y", "--no-install-recommends", "postgresql-15"], { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  const dir = postgresBinDir();
  if (!dir) throw new Error("postgresql-15 was installed but its binaries were not found");
  return dir;
}

export async function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface PostgresServer {
  host: string;
  port: number;
  /** The superuser the tests connect as (trust authentication on loopback only). */
  user: string;
  dataDir: string;
  binDir: string;
  url(database: string, user?: string, password?: string): string;
  stop(): void;
}

function asPostgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const r = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
  const g = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
  if (r.status !== 0 || g.status !== 0) throw new Error("running as root, but there is no postgres user to run the server as");
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

/**
 * Starts a fresh server on loopback (a free port unless `port` is given); `stop()` shuts it down
 * and removes its data. `settings` are extra server settings (`-c name=value`), e.g. ssl=on.
 */
export async function startPostgres(opts: { host?: string; port?: number; settings?: Record<string, string>; log?: (line: string) => void } = {}): Promise<PostgresServer> {
  const binDir = ensurePostgresInstalled(opts.log);
  const host = opts.host ?? "127.0.0.1";
  const owner = asPostgresUser();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "dp-postgres-"));
  const socketDir = path.join(dataDir, "sock");
  fs.mkdirSync(socketDir);
  if (owner) for (const d of [dataDir, socketDir]) fs.chownSync(d, owner.uid, owner.gid);
  const run = (cmd: string, args: string[]) => execFileSync(path.join(binDir, cmd), args, { stdio: "pipe", ...(owner ?? {}) });
  run("initdb", ["-D", path.join(dataDir, "data"), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"]);
  const port = opts.port ?? (await freePort(host));
  const settings = Object.entries(opts.settings ?? {}).map(([k, v]) => ` -c ${k}=${v}`).join("");
  const logFile = path.join(dataDir, "server.log");
  run("pg_ctl", ["-D", path.join(dataDir, "data"), "-l", logFile, "-w", "-t", "60", "-o", `-h ${host} -p ${port} -k ${socketDir} -c fsync=off -c max_connections=400${settings}`, "start"]);
  let stopped = false;
  return {
    host,
    port,
    user: "postgres",
    dataDir,
    binDir,
    url: (database, user = "postgres", password) => `postgresql://${encodeURIComponent(user)}${password ? `:${encodeURIComponent(password)}` : ""}@${host}:${port}/${database}`,
    stop: () => {
      if (stopped) return;
      stopped = true;
      spawnSync(path.join(binDir, "pg_ctl"), ["-D", path.join(dataDir, "data"), "-m", "fast", "-w", "stop"], { stdio: "ignore", ...(owner ?? {}) });
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
