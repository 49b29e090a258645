import { createJqEngine, createQuickJsEngine, loadSandbox, type Sandbox } from '../../engine/adapters/sandbox';
import type { ScriptResult } from '../../engine/ports/sandbox';

const TIMEOUT_MS = 200;
const MEMORY = 16 * 1024 * 1024;
let sb: Sandbox;

beforeAll(async () => {
  sb = await loadSandbox({ timeoutMs: TIMEOUT_MS, memoryBytes: MEMORY });
});

const ev = (src: string, $: unknown = {}): ScriptResult => sb.scripts.evaluate(src, { $ });
const stillWorks = () => expect(ev('$.a + 1', { a: 41 })).toEqual({ ok: true, value: 42 });

describe('QuickJS script engine', () => {
  it('evaluates Conductor-style scripts', () => {
    expect(ev('(function(){ return $.a + 1; })()', { a: 1 })).toEqual({ ok: true, value: 2 });
    expect(ev("$.x > 5 ? 'big' : 'small'", { x: 9 })).toEqual({ ok: true, value: 'big' });
    expect(ev("$.x > 5 ? 'big' : 'small'", { x: 1 })).toEqual({ ok: true, value: 'small' });
    const loop = "if ($.loopTask['iteration'] < $.value) { true; } else { false; }";
    expect(ev(loop, { loopTask: { iteration: 1 }, value: 3 })).toEqual({ ok: true, value: true });
    expect(ev(loop, { loopTask: { iteration: 3 }, value: 3 })).toEqual({ ok: true, value: false });
  });

  it('returns JSON-compatible values', () => {
    expect(ev('({ n: 1.5, s: "x", a: [1, null, undefined], o: { b: true } })')).toEqual({
      ok: true,
      value: { n: 1.5, s: 'x', a: [1, null, null], o: { b: true } },
    });
    expect(ev('undefined')).toEqual({ ok: true, value: null });
    expect(ev('(function(){})')).toEqual({ ok: true, value: null });
    expect(ev('new Date(0)')).toEqual({ ok: true, value: '1970-01-01T00:00:00.000Z' });
    expect(ev('var x = 3; x * 2')).toEqual({ ok: true, value: 6 });
  });

  it('binds $ as a deep copy', () => {
    const input = { a: { b: 1 }, list: [1, 2] };
    expect(ev('$.a.b = 99; $.list.push(3); $.a.b', input)).toEqual({ ok: true, value: 99 });
    expect(input).toEqual({ a: { b: 1 }, list: [1, 2] });
    expect(sb.scripts.evaluate('x + y', { x: 2, y: 3 })).toEqual({ ok: true, value: 5 });
  });

  it('gives the script no host access', () => {
    const r = ev('[typeof require, typeof process, typeof module, typeof fetch, typeof setTimeout, typeof std, typeof os]');
    expect(r).toEqual({ ok: true, value: Array(7).fill('undefined') });
  });

  it('reports syntax and thrown errors', () => {
    const syntax = ev('let x = ;');
    expect(syntax.ok).toBe(false);
    expect(!syntax.ok && syntax.error).toMatch(/^SyntaxError: /);
    expect(ev('throw new Error("boom")')).toEqual({ ok: false, error: 'boom' });
    expect(ev('null.x')).toEqual({ ok: false, error: expect.stringMatching(/^TypeError: /) });
    expect(ev('throw "plain"')).toEqual({ ok: false, error: 'plain' });
  });

  it('times out an infinite loop and recovers', () => {
    const t = Date.now();
    expect(ev('while(true){}')).toEqual({ ok: false, error: `Script execution timed out after ${TIMEOUT_MS} ms` });
    expect(Date.now() - t).toBeLessThan(TIMEOUT_MS + 1000);
    expect(ev('try { while(true){} } catch (e) { "caught" }').ok).toBe(false);
    stillWorks();
  });

  it('stops a memory bomb and recovers', async () => {
    // 8 MB: the first 1e6-element array already fails. (Near a larger cap QuickJS-in-WASM spends
    // seconds in allocation before it reports out of memory, without reaching an interrupt check.)
    const small = await createQuickJsEngine({ timeoutMs: TIMEOUT_MS, memoryBytes: 8 * 1024 * 1024 });
    expect(small.evaluate('let a=[]; while(true) a.push(new Array(1e6).fill(1))', {})).toEqual({
      ok: false,
      error: `Script exceeded the memory limit of ${8 * 1024 * 1024} bytes`,
    });
    expect(small.evaluate('$.a + 1', { $: { a: 1 } })).toEqual({ ok: true, value: 2 });
    stillWorks();
  });

  it('stops recursion bombs and recovers', () => {
    expect(ev('function f(){ return f() + 1; } f()')).toEqual({ ok: false, error: 'Script exceeded the maximum call stack size' });
    stillWorks();
    // Deep parser recursion exhausts the host stack before QuickJS notices: the engine swaps WASM instances.
    expect(ev('eval("(".repeat(100000))')).toEqual({ ok: false, error: expect.stringMatching(/maximum call stack size/) });
    stillWorks();
  });

  it('checks syntax without running', () => {
    expect(sb.scripts.syntaxError('while(true){}')).toBeNull();
    expect(sb.scripts.syntaxError('$.a +')).toMatch(/^SyntaxError: /);
  });

  it('survives 5,000 evaluations', () => {
    for (let i = 0; i < 5000; i++) {
      const r = ev('({ v: $.i * 2 })', { i });
      if (!r.ok || (r.value as { v: number }).v !== i * 2) throw new Error(`evaluation ${i}: ${JSON.stringify(r)}`);
    }
    stillWorks();
  });
});

describe('jq engine', () => {
  it('returns every result', () => {
    expect(sb.jq.run('.[]', [1, 2])).toEqual({ ok: true, results: [1, 2] });
    expect(sb.jq.run('.[]', [[1, 2]])).toEqual({ ok: true, results: [[1, 2]] });
    expect(sb.jq.run('{ total: (.a + .b) }', { a: 1, b: 2 })).toEqual({ ok: true, results: [{ total: 3 }] });
    expect(sb.jq.run('empty', null)).toEqual({ ok: true, results: [] });
    expect(sb.jq.run('.s, (.s | length)', { s: 'a\nb' })).toEqual({ ok: true, results: ['a\nb', 3] });
    expect(sb.jq.run('.key1 + .key2 | unique', { key1: [1, 2], key2: [2, 3] })).toEqual({ ok: true, results: [[1, 2, 3]] });
  });

  it("reports jq's own error message and keeps working", () => {
    expect(sb.jq.run('.a.array', { a: 'x' })).toEqual({ ok: false, error: 'Cannot index string with string "array"' });
    expect(sb.jq.run('error("boom")', null)).toEqual({ ok: false, error: 'boom' });
    expect(sb.jq.run('.[0]', [7])).toEqual({ ok: true, results: [7] });
    expect(process.exitCode).toBeUndefined();
  });

  it('reports compile errors', () => {
    expect(sb.jq.compileError('.a | | .b')).toMatch(/^syntax error, unexpected/);
    expect(sb.jq.compileError('nosuchfn(1)')).toMatch(/nosuchfn\/1 is not defined/);
    expect(sb.jq.compileError('repeat(1)')).toBeNull(); // compiled, never run
    expect(sb.jq.compileError('.a | .b')).toBeNull();
    const r = sb.jq.run('.a | | .b', {});
    expect(r.ok).toBe(false);
    expect(sb.jq.run('.', 1)).toEqual({ ok: true, results: [1] });
  });

  it('does not print jq stderr (debug) to the host', () => {
    const warn = jest.spyOn(console, 'warn');
    expect(sb.jq.run('debug | . + 1', 1)).toEqual({ ok: true, results: [2] });
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
  });
});

describe('jq engine limits', () => {
  const jqWorks = () => expect(sb.jq.run('.a + 1', { a: 41 })).toEqual({ ok: true, results: [42] });

  it.each(['repeat(1)', 'def f: f; f', '[range(1e12)]', 'last(range(1e12))'])('times out %s and recovers', (filter) => {
    const t = Date.now();
    expect(sb.jq.run(filter, null)).toEqual({ ok: false, error: `jq query timed out after ${TIMEOUT_MS} ms` });
    expect(Date.now() - t).toBeLessThan(TIMEOUT_MS + 1000);
    jqWorks();
    expect(sb.jq.compileError('.a | .b')).toBeNull();
  });

  it('times out twice in a row (the spare may still be loading) and recovers', () => {
    expect(sb.jq.run('repeat(1)', null)).toEqual({ ok: false, error: `jq query timed out after ${TIMEOUT_MS} ms` });
    expect(sb.jq.run('def f: f; f', null)).toEqual({ ok: false, error: `jq query timed out after ${TIMEOUT_MS} ms` });
    jqWorks();
  });

  it('fails a huge output cleanly and recovers', async () => {
    const jq = await createJqEngine({ timeoutMs: 30000 });
    const big = 'x'.repeat(1024 * 1024);
    expect(jq.run('.s, .s', { s: big })).toEqual({ ok: true, results: [big, big] });
    expect(jq.run('.s as $s | range(100) | $s', { s: big })).toEqual({ ok: false, error: 'jq output exceeded the limit of 16 MiB' });
    expect(jq.run('.a', { a: 1 })).toEqual({ ok: true, results: [1] });
    const small = await createJqEngine({ timeoutMs: 30000 }, { maxOutputBytes: 1000 });
    expect(small.run('range(1e12)', null)).toEqual({ ok: false, error: 'jq output exceeded the limit of 1000 bytes' });
    expect(small.run('[range(10)]', null)).toEqual({ ok: true, results: [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]] });
  });

  it('stops a memory bomb and recovers', async () => {
    const jq = await createJqEngine({ timeoutMs: 30000 }, { maxHeapBytes: 64 * 1024 * 1024 });
    expect(jq.run('[range(1e8)]', null)).toEqual({ ok: false, error: `jq query exceeded the memory limit of ${64 * 1024 * 1024} bytes` });
    expect(jq.run('[range(1000)] | length', null)).toEqual({ ok: true, results: [1000] });
    expect(process.exitCode).toBeUndefined();
  });

  it('survives 2,000 runs', () => {
    for (let i = 0; i < 2000; i++) {
      const r = sb.jq.run('{ v: (.i * 2) }', { i });
      if (!r.ok || (r.results[0] as { v: number }).v !== i * 2) throw new Error(`run ${i}: ${JSON.stringify(r)}`);
    }
  });
});

describe('loadSandbox', () => {
  it('caches engines', async () => {
    const again = await loadSandbox({ timeoutMs: TIMEOUT_MS, memoryBytes: MEMORY });
    expect(again.scripts).toBe(sb.scripts);
    expect(again.jq).toBe(sb.jq);
  });
});
