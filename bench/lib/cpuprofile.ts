/** Summarise a V8 .cpuprofile (from `node --cpu-prof`): top self-time functions and modules. */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

export interface Hotspot {
  name: string;
  pct: number;
}

export function summariseProfile(file: string, top = 15): { functions: Hotspot[]; modules: Hotspot[]; totalHits: number } {
  const p = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[] };
  const byFn = new Map<string, number>();
  const byModule = new Map<string, number>();
  let total = 0;
  for (const n of p.nodes) {
    const hits = n.hitCount ?? 0;
    if (!hits) continue;
    total += hits;
    const { functionName, url, lineNumber } = n.callFrame;
    const file = url.replace(/^file:\/\//, '');
    const short = file.replace(/.*\/node_modules\//, 'node_modules/').replace(/.*\/dist\//, 'dist/');
    const fn = `${functionName || '(anonymous)'} ${short ? `${short}:${lineNumber + 1}` : ''}`.trim();
    byFn.set(fn, (byFn.get(fn) ?? 0) + hits);
    byModule.set(moduleOf(short, functionName), (byModule.get(moduleOf(short, functionName)) ?? 0) + hits);
  }
  const rank = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, h]) => ({ name, pct: (100 * h) / total }));
  return { functions: rank(byFn), modules: rank(byModule), totalHits: total };
}

function moduleOf(short: string, fn: string): string {
  if (!short) return fn.startsWith('(') ? fn : '(native/builtin)';
  const nm = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(short);
  if (nm) return nm[1];
  if (short.startsWith('dist/')) return short.split('/').slice(0, 3).join('/');
  if (short.startsWith('node:')) return short;
  return short;
}
