// Bundles src/main.js with its npm dependencies into one script (esbuild).
// Usage: node build.mjs <ui source dir> <out dir>. ui/build_ui.cmake copies this file beside
// the node_modules it installed (build/ui), so `esbuild`, cytoscape and the layout resolve
// from there and the source tree stays clean.
import { build } from "esbuild";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const src = resolve(process.argv[2] || here);
const out = resolve(process.argv[3] || resolve(here, "dist"));

await build({
  entryPoints: [resolve(src, "src/main.js")],
  bundle: true,
  minify: true,
  format: "iife",
  target: ["chrome100", "firefox100", "safari15"],
  outfile: resolve(out, "app.js"),
  nodePaths: [resolve(here, "node_modules")],
  legalComments: "eof",
  logLevel: "warning",
});
