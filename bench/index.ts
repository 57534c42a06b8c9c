// `npm run bench [-- NAME... [flags]]`: runs the named benchmarks (all of
// them when no name is given), passing the flags through.
//   npm run bench -- recurrent --quick --only lstm --configs 0,1
//   npm run bench -- lm --quick --skip tfjs
//   npm run bench -- ctc --warpctc /path/libwarpctc.so
//   npm run bench -- word2vec --word2vec /path/word2vec --pword2vec /path/pWord2Vec --only speed
import { run as recurrent } from './recurrent';
import { run as lm } from './lm';
import { run as ctc } from './ctc';
import { run as word2vec } from './word2vec';

const BENCHES: Record<string, (argv: string[]) => Promise<unknown>> = { recurrent, lm, ctc, word2vec };

async function main() {
  const argv = process.argv.slice(2);
  const names: string[] = [];
  while (argv.length && !argv[0].startsWith('-')) names.push(argv.shift()!);
  if (argv.includes('--list')) {
    console.log(Object.keys(BENCHES).join('\n'));
    return;
  }
  for (const n of names) {
    if (!BENCHES[n]) throw new Error(`unknown bench "${n}"; known: ${Object.keys(BENCHES).join(', ')}`);
  }
  for (const n of names.length ? names : Object.keys(BENCHES)) {
    console.log(`\n=== bench: ${n} ===`);
    await BENCHES[n](argv);
  }
}

main().catch((e) => {
  console.error(`[bench] ${e instanceof Error ? e.message : e}`);
  process.exit(1);
});
