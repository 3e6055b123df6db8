/**
 * The Pulumi program: `pulumi up` runs this file. It reads and validates the stack's config and
 * repos/ once (refusing everything on any problem), then declares the platform.
 */
import { loadPlatformConfig } from "./config";
import { deployPlatform } from "./program";

export = deployPlatform(loadPlatformConfig());
