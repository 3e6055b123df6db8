/**
 * A folder updated the way the kubelet updates a ConfigMap volume mounted without subPath
 * (kubernetes pkg/volume/util/atomic_writer.go): the files live in a timestamped folder, `..data`
 * is a symlink to it, and each visible file is a symlink through `..data`. An update writes a new
 * timestamped folder and renames a new symlink over `..data`, so a reader sees the old file or
 * the new one, never a mix; then the old folder is removed.
 */
import * as fs from "fs";
import * as path from "path";

export class ConfigMapVolume {
  private version = 0;

  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
  }

  /** The path a pod would read a key at. */
  file(key: string): string {
    return path.join(this.dir, key);
  }

  write(data: Record<string, string>): void {
    const previous = fs.existsSync(path.join(this.dir, "..data")) ? fs.readlinkSync(path.join(this.dir, "..data")) : undefined;
    const stamp = `..${new Date().toISOString().replace(/[-:T]/g, "_").replace(/Z$/, "")}.${process.pid}${++this.version}`;
    fs.mkdirSync(path.join(this.dir, stamp));
    for (const [key, text] of Object.entries(data)) fs.writeFileSync(path.join(this.dir, stamp, key), text);
    const tmp = path.join(this.dir, "..data_tmp");
    fs.rmSync(tmp, { force: true });
    fs.symlinkSync(stamp, tmp);
    fs.renameSync(tmp, path.join(this.dir, "..data"));
    for (const key of Object.keys(data)) {
      const link = path.join(this.dir, key);
      if (!fs.existsSync(link)) fs.symlinkSync(path.join("..data", key), link);
    }
    if (previous && previous !== stamp) fs.rmSync(path.join(this.dir, previous), { recursive: true, force: true });
  }
}
