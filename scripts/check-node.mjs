// Fails early when `npm test` runs on the wrong Node. The project lists `node` as a devDependency,
// so `npm run …` puts node_modules/.bin/node (Node 24) first on PATH; the machine's own Node
// (20 on our hosts) cannot load the ESM-only Azure SDKs, and tests on it would mean nothing.
const expectedMajor = 24;
const major = Number(process.versions.node.split('.')[0]);

if (major !== expectedMajor) {
  console.error(
    `Node ${process.version} is running, but this project needs v${expectedMajor}.x ` +
      `(see .node-version). Run the checks through npm (\`npm test\`), which uses ` +
      `node_modules/.bin/node from the "node" devDependency, and run \`npm ci\` if it is missing.`,
  );
  process.exit(1);
}
console.log(`Node ${process.version} (${process.execPath})`);
