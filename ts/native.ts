/**
 * The native binding (generated loader `../index.js`), re-exported with its generated types.
 * Everything else in `ts/` goes through this module.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
import binding = require('../index.js');

export = binding;
