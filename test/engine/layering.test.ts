/**
 * The core stays pure (DESIGN.md): no I/O modules, no clock, no timers, no process.env; and
 * only engine/config.ts reads process.env in the engine.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(__dirname, '../..');
const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });

const FORBIDDEN_IMPORTS = /from ['"](express|better-sqlite3|winston|prom-client|node:fs|fs|node:net|net|node:child_process|child_process|node:http|http|dotenv)['"]|from ['"]\.\.\/(adapters|runtime|api|observability)/;
const FORBIDDEN_CALLS = /\bDate\.now\(|new Date\(\)|\bsetTimeout\(|\bsetInterval\(|process\.env|Math\.random\(|randomUUID\(/;

describe('layering', () => {
  const core = files(join(root, 'engine/core'));
  test.each(core.map((f) => [relative(root, f), f]))('%s imports no I/O and reads no clock', (_rel, f) => {
    const src = readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    expect(src).not.toMatch(FORBIDDEN_IMPORTS);
    expect(src).not.toMatch(FORBIDDEN_CALLS);
  });

  test('only engine/main.ts reads process.env (it hands it to loadConfig)', () => {
    const readers = files(join(root, 'engine'))
      .filter((f) => /process\.env/.test(readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '')))
      .map((f) => relative(root, f));
    expect(readers.sort()).toEqual(['engine/main.ts']);
  });
});
