// Preloaded into a process under test (`node --require`): on SIGUSR2 it writes the CommonJS modules
// it has loaded so far, one path a line, to $MOOSE_TEST_LOADED_MODULES. Packages imported from ES
// modules are there too when they are CommonJS (ajv, handlebars, cli-progress, kafkajs, chdb).
const { renameSync, writeFileSync } = require("node:fs");

process.on("SIGUSR2", () => {
  const file = process.env.MOOSE_TEST_LOADED_MODULES;
  // Written aside and renamed: the test reads the file as soon as it appears.
  writeFileSync(`${file}.partial`, Object.keys(require.cache).join("\n"));
  renameSync(`${file}.partial`, file);
});
