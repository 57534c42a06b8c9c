#!/usr/bin/env node
'use strict';
// `npx seqlearn <command>`: word2vec training and embedding tools (see `seqlearn --help`).
require('../dist/cli/main.js').main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
