/**
 * A local AWS KMS (github.com/nsmithuk/local-kms, built from its Go module) so the e2e tests can
 * give their stacks a non-default, cloud-type secrets provider (`awskms://…`) offline.
 *
 * Why not something simpler: the CLI at v3.248.0 accepts only default, passphrase, awskms,
 * azurekeyvault, gcpkms and hashivault for `stack init --secrets-provider`
 * (pkg/cmd/pulumi/stack/secrets.go, ValidateSecretsProvider), and registers only those gocloud
 * drivers (pkg/secrets/cloud/manager.go), so gocloud's `base64key://` is refused. A cloud-type
 * provider (type "cloud" in the state, `secretsprovider` + `encryptedkey` in Pulumi.<stack>.yaml)
 * is what CI's gcpkms:// is too, and what the fresh-checkout bug is about; awskms:// is the one
 * whose endpoint gocloud lets a URL move (`?endpoint=`, gocloud.dev/aws V2ConfigFromURLParams).
 */
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { cacheDir } from "./cache";
import { freePort } from "./postgres";

export const LOCAL_KMS_MODULE = "github.com/nsmithuk/local-kms";
export const LOCAL_KMS_VERSION = "v0.0.0-20260228092603-2a5e92d09ab6";

/** A fixed test key: the tests need a key, not a secret one. */
const KEY_ID = "8d4a9a8e-2f0f-4a53-9d65-2b1f4f0c1a11";
const BACKING_KEY = "5cdaead27fe7da2de47945d73cd6d79e36494e73802f3cd3869f1d2cb0b5d7a9";
export const KMS_ALIAS = "alias/pulumi-state";

export interface LocalKms {
  port: number;
  /** The `--secrets-provider` URL for this KMS's test key. */
  secretsProvider: string;
  /** What the AWS SDK inside the CLI needs to sign requests (local-kms accepts any credentials). */
  env: Record<string, string>;
  stop(): Promise<void>;
}

function ensureBinary(log: (line: string) => void): string {
  const dir = cacheDir(`local-kms-${LOCAL_KMS_VERSION}`);
  const bin = path.join(dir, "local-kms");
  if (!fs.existsSync(bin)) {
    log(`building ${LOCAL_KMS_MODULE}@${LOCAL_KMS_VERSION}`);
    execFileSync("go", ["install", "-trimpath", "-ldflags", "-s -w", `${LOCAL_KMS_MODULE}@${LOCAL_KMS_VERSION}`], {
      env: { ...process.env, GOBIN: dir, GOTOOLCHAIN: "local", GOFLAGS: "" },
      stdio: ["ignore", "inherit", "inherit"],
    });
  }
  return bin;
}

function seedFile(dir: string): string {
  const file = path.join(dir, "seed.yaml");
  fs.writeFileSync(
    file,
    ["Keys:", "  Symmetric:", "    Aes:", "      - Metadata:", `          KeyId: ${KEY_ID}`, "        BackingKeys:", `          - ${BACKING_KEY}`, "Aliases:", `  - AliasName: ${KMS_ALIAS}`, `    TargetKeyId: ${KEY_ID}`, ""].join("\n"),
  );
  return file;
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`local-kms exited with code ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1", () => {
        s.end();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`local-kms did not listen on port ${port} within ${timeoutMs} ms`);
}

/**
 * Starts local-kms on a free port with one AES key behind KMS_ALIAS. It listens on all
 * interfaces (it has no bind-address option); the tests reach it on 127.0.0.1 only.
 */
export async function startLocalKms(log: (line: string) => void = () => undefined): Promise<LocalKms> {
  const bin = ensureBinary(log);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dp-kms-"));
  const port = await freePort();
  const child = spawn(bin, [], {
    env: { PATH: process.env.PATH ?? "", PORT: String(port), KMS_DATA_PATH: path.join(dir, "data"), KMS_SEED_PATH: seedFile(dir), KMS_REGION: "eu-west-1", KMS_ACCOUNT_ID: "111122223333" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  try {
    await waitForPort(port, child, 15_000);
  } catch (e) {
    child.kill();
    throw new Error(`${e instanceof Error ? e.message : String(e)}\n${stderr}`);
  }
  return {
    port,
    secretsProvider: `awskms://${KMS_ALIAS}?region=eu-west-1&endpoint=${encodeURIComponent(`http://127.0.0.1:${port}`)}`,
    env: { AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local", AWS_REGION: "eu-west-1", AWS_EC2_METADATA_DISABLED: "true" },
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill();
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
