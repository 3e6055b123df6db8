// Preloaded by `npm run test:mutation` (NODE_OPTIONS). StrykerJS 9 is the last release that runs on
// Node 20; its mocha runner requires mocha's CLI helpers without an extension
// (`mocha/lib/cli/run-helpers`), which mocha 12 ships as `.cjs`. Letting require() try `.cjs` the
// way it tries `.js` resolves them; nothing else in the run is affected.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Module = require("module");
if (!Module._extensions[".cjs"]) Module._extensions[".cjs"] = Module._extensions[".js"];
