import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** One file the viewer serves: its bytes are read once, at start, so a request never touches the disk. */
export interface ViewerAsset {
  readonly body: Buffer;
  readonly contentType: string;
}

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".png": "image/png",
  ".svg": "image/svg+xml",
};

/**
 * The browser libraries, served from the installed packages (no CDN, no
 * bundler): the page's import map names these paths. Each is an ES module.
 */
const vendorFiles: Record<string, { readonly pkg: string; readonly file: string }> = {
  "preact.mjs": { pkg: "preact", file: "dist/preact.mjs" },
  "preact-hooks.mjs": { pkg: "preact", file: "hooks/dist/hooks.mjs" },
  "htm.mjs": { pkg: "htm", file: "dist/htm.module.js" },
  "cytoscape.mjs": { pkg: "cytoscape", file: "dist/cytoscape.esm.min.mjs" },
};

/**
 * The package root: the same from src/viewer (tests, vite-node) and from
 * dist/src/viewer (`npm start`), found by walking up to package.json.
 */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("the viewer cannot find memledger's package.json above its own file");
    dir = parent;
  }
  return dir;
}

/** Where a package is installed, by Node's lookup (not every package exports its package.json, so it is looked for directly). */
function packageDirectory(pkg: string, root: string): string {
  const require = createRequire(join(root, "package.json"));
  const found = (require.resolve.paths(pkg) ?? []).map((base) => join(base, pkg)).find((dir) => existsSync(join(dir, "package.json")));
  if (found === undefined) throw new Error(`the viewer needs the package ${pkg}; run npm install`);
  return found;
}

/**
 * Every file under /ui: the viewer's own (src/viewer/public, shipped as is: it
 * is plain browser JavaScript, not compiled) and the vendored modules under
 * `vendor/`. A fixed map, so no request path ever reaches the file system.
 */
export function loadViewerAssets(): ReadonlyMap<string, ViewerAsset> {
  const root = packageRoot();
  const publicDir = join(root, "src", "viewer", "public");
  const assets = new Map<string, ViewerAsset>();
  const walk = (dir: string, prefix: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name), `${prefix}${entry.name}/`);
      else {
        const type = contentTypes[extname(entry.name)];
        if (type !== undefined) assets.set(`${prefix}${entry.name}`, { body: readFileSync(join(dir, entry.name)), contentType: type });
      }
    }
  };
  walk(publicDir, "");
  for (const [name, { pkg, file }] of Object.entries(vendorFiles)) {
    assets.set(`vendor/${name}`, { body: readFileSync(join(packageDirectory(pkg, root), file)), contentType: contentTypes[".mjs"]! });
  }
  return assets;
}
