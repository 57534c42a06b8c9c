// The seqlearn side of `npm run bench -- word2vec`, in its own process (so that its wall time and
// peak memory are measured like the other peers'): `seqlearn word2vec` — the CLI command itself,
// same flags as the C tool — run with the given argv, then one JSON line on stdout with what the
// command reports (vocabulary, words trained, training seconds from the trainer's stats).
//
//   node --import tsx bench/word2vec-seqlearn.ts -train FILE -output OUT.bin -cbow 0 -size 200 \
//       -window 5 -negative 5 -hs 0 -sample 1e-4 -threads 2 -iter 1 -min-count 5 -binary 1 \
//       -seed 1 -method auto -debug 1
import { runWord2Vec } from '../ts/cli/word2vec';
import { getNumThreads, setNumThreads } from '../ts/runtime';

async function main() {
  const argv = process.argv.slice(2);
  const t = argv.indexOf('-threads');
  // The pool the trainer runs on gets exactly -threads workers, as the peers get that many threads.
  if (t >= 0) setNumThreads(Number(argv[t + 1]));
  const controller = new AbortController();
  process.on('SIGINT', () => controller.abort());
  const summary = await runWord2Vec(argv, { stdout: process.stdout, stderr: process.stderr, signal: controller.signal });
  if (!summary) return;
  const pkg = require('../package.json') as { version: string };
  console.log(JSON.stringify({ seqlearn: pkg.version, poolThreads: getNumThreads(), ...summary }));
}

main().catch((e) => {
  console.error(`word2vec-seqlearn: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
