// `npm run bench`: builds (package.json runs the build first), then runs the benchmark from the build
// folder (dist/, or CAMRTC_OUT to benchmark another build side by side). Flags: see bench/options.ts
// or `npm run bench -- --help`.
const out = process.env.CAMRTC_OUT ?? 'dist';
await import(new URL(`../${out}/bench/main.js`, import.meta.url).href);
