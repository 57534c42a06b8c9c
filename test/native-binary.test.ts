/**
 * Guards on the built native addon: the default build links no system BLAS or Fortran runtime
 * (prebuilt binaries must load anywhere), and it exports what the TypeScript layer needs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const binary = join(__dirname, '..', 'seqlearn.linux-x64-gnu.node');

describe('native binary', () => {
  it('exists after the build', () => {
    expect(existsSync(binary)).toBe(true);
  });

  it('needs no libopenblas / libgfortran at run time (default build)', () => {
    const deps = execFileSync('ldd', [binary], { encoding: 'utf8' });
    expect(deps).not.toMatch(/openblas|gfortran|libblas|libcblas/);
    expect(deps).toMatch(/libc\.so/);
  });

  it('exports the binding the TypeScript layer uses', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const native = require('../index.js') as Record<string, unknown>;
    for (const name of ['RecurrentNet', 'ParamHandle', 'Optimizer', 'mseLoss', 'clipGradNorm', 'clipGradValue', 'gradNorm', 'loadSafetensors', 'saveSafetensors', 'setNumThreads', 'randomNormal']) {
      expect(typeof native[name], name).toBe('function');
    }
  });
});
