import { excerpt } from "./problems";

/**
 * Container image references, parsed the way the distribution reference grammar reads them
 * (github.com/distribution/reference, reference.go and regexp.go; the OCI distribution spec):
 * `[registry[:port]/]path[:tag][@sha256:<64 hex>]`, the name (registry and path) at most 255
 * characters, a tag at most 128.
 */
export interface ImageRef {
  /** The reference exactly as written. */
  reference: string;
  /** Registry and path, without tag or digest. */
  name: string;
  tag?: string;
  digest?: string;
}

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const REGISTRY = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
/** distribution/reference NameTotalLengthMax: registry, port and path together. */
export const IMAGE_NAME_MAX = 255;

export type ImageParse = { ok: true; image: ImageRef } | { ok: false; reason: string };

export function parseImage(reference: string): ImageParse {
  if (reference.trim() !== reference || reference === "") {
    return { ok: false, reason: "it is empty or has surrounding white space" };
  }
  let rest = reference;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return { ok: false, reason: `the digest ${excerpt(digest)} is not sha256:<64 lowercase hex>` };
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return { ok: false, reason: `the tag ${excerpt(tag)} is not a tag: at most 128 letters, digits, _, . and -, not starting with . or -` };
  }
  if (rest.length > IMAGE_NAME_MAX) {
    return { ok: false, reason: `the name (registry and path) is ${rest.length} characters; registries accept at most ${IMAGE_NAME_MAX}` };
  }
  const parts = rest.split("/");
  const first = parts[0];
  // distribution/reference also reads a first component "localhost" as a registry; it passes as a
  // path component just the same, so it needs no case of its own here.
  const hasRegistry = parts.length > 1 && (first.includes(".") || first.includes(":"));
  if (hasRegistry && (!REGISTRY.test(first) || Number(first.split(":")[1] ?? 0) > 65535)) return { ok: false, reason: `the registry ${excerpt(first)} is not a host name with an optional port` };
  const path = hasRegistry ? parts.slice(1) : parts;
  const bad = path.find((c) => !PATH_COMPONENT.test(c));
  if (bad !== undefined) {
    return { ok: false, reason: `the path component ${excerpt(bad)} must be lowercase letters, digits and separators` };
  }
  return { ok: true, image: { reference, name: rest, tag, digest } };
}

/** Pinned means a digest, or a tag other than `latest`: the same reference always runs the same code. */
export function isPinned(image: ImageRef): boolean {
  return image.digest !== undefined || (image.tag !== undefined && image.tag !== "latest");
}

/**
 * The chart builds the image as `printf "%s:%s" repository tag`, and an empty tag falls back
 * to the chart version. So a digest has to ride in the tag (`1.2@sha256:…`, a valid reference),
 * and a digest-only reference is split at its own colon (`name@sha256` + `<hex>`): both render
 * back to exactly the reference the user wrote.
 */
export function chartImage(image: ImageRef): { repository: string; tag: string } {
  if (image.digest && image.tag) return { repository: image.name, tag: `${image.tag}@${image.digest}` };
  if (image.digest) {
    const [algorithm, hex] = image.digest.split(":");
    return { repository: `${image.name}@${algorithm}`, tag: hex };
  }
  return { repository: image.name, tag: image.tag ?? "latest" };
}
