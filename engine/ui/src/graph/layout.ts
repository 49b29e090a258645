/**
 * Layered layout of a Conductor workflow definition, pure (no DOM), so jest can test it.
 *
 * The definition is a tree of sequences: a task list is laid out top to bottom; FORK_JOIN,
 * FORK_JOIN_DYNAMIC and SWITCH/DECISION open branches placed side by side under their node, which
 * merge into whatever follows (the JOIN after a fork); a DO_WHILE is a box around its loop body.
 * Two passes: `measure` gives every block its width and height, `place` centres blocks on a
 * column and routes orthogonal edges between them.
 */

/** The fields of a WorkflowTask (a node of a definition) the layout reads. */
export interface WfTask {
  name?: string;
  taskReferenceName: string;
  type?: string;
  forkTasks?: WfTask[][];
  decisionCases?: Record<string, WfTask[]>;
  defaultCase?: WfTask[];
  loopOver?: WfTask[];
  subWorkflowParam?: { name?: string; version?: number };
}

export type NodeKind = 'task' | 'start' | 'end' | 'loop' | 'placeholder';

export interface LayoutNode {
  id: string;
  /** The task reference name ('' for start, end and placeholders). */
  ref: string;
  kind: NodeKind;
  type: string;
  label: string;
  x: number;
  y: number;
  w: number;
  h: number;
  task?: WfTask;
}

export interface LayoutEdge {
  from: string;
  to: string;
  points: [number, number][];
  label?: string;
  /** Where the label goes: at the top of its branch. */
  labelAt?: [number, number];
  /** Inside a loop box: body end → box bottom, and the back edge. */
  loop?: boolean;
}

export interface Layout {
  width: number;
  height: number;
  nodes: LayoutNode[];
  edges: LayoutEdge[];
}

export interface LayoutOptions {
  /** FORK_JOIN_DYNAMIC ref → the tasks it forked (known once it ran). */
  dynamicForks?: Record<string, WfTask[]>;
}

export const NODE_W = 200;
export const NODE_H = 50;
const END_W = 90;
const END_H = 30;
const VGAP = 44;
const HGAP = 28;
const PAD = 18;
const EMPTY_W = 56;
const MARGIN = 24;

type Block =
  | { k: 'node'; t?: WfTask; kind: NodeKind; w: number; h: number }
  | { k: 'split'; t: WfTask; branches: { label?: string; seq: Seq }[]; w: number; h: number }
  | { k: 'loop'; t: WfTask; body: Seq; w: number; h: number };

interface Seq {
  blocks: Block[];
  w: number;
  h: number;
}

/** The end of a path leaving a block, to be extended to the next block's entry. */
interface Exit {
  from: string;
  pts: [number, number][];
  label?: string;
  labelAt?: [number, number];
}

export function taskType(t: WfTask): string {
  return (t.type ?? 'SIMPLE').toUpperCase();
}

function isSplit(t: WfTask): boolean {
  return ['FORK_JOIN', 'FORK', 'FORK_JOIN_DYNAMIC', 'SWITCH', 'DECISION'].includes(taskType(t));
}

function measureSeq(tasks: WfTask[], o: LayoutOptions): Seq {
  const blocks = tasks.map((t) => measureTask(t, o));
  if (blocks.length === 0) return { blocks, w: EMPTY_W, h: 0 };
  return { blocks, w: Math.max(...blocks.map((b) => b.w)), h: blocks.reduce((s, b) => s + b.h, 0) + VGAP * (blocks.length - 1) };
}

function branchesOf(t: WfTask, o: LayoutOptions): { label?: string; tasks: WfTask[] }[] {
  const type = taskType(t);
  if (type === 'FORK_JOIN' || type === 'FORK') return (t.forkTasks ?? []).map((b) => ({ tasks: b ?? [] }));
  if (type === 'FORK_JOIN_DYNAMIC') {
    const forked = o.dynamicForks?.[t.taskReferenceName];
    return forked ? forked.map((f) => ({ tasks: [f] })) : [{ tasks: [] }];
  }
  const cases = Object.entries(t.decisionCases ?? {}).map(([label, tasks]) => ({ label, tasks: tasks ?? [] }));
  return [...cases, { label: 'default', tasks: t.defaultCase ?? [] }];
}

function measureTask(t: WfTask, o: LayoutOptions): Block {
  const type = taskType(t);
  if (type === 'DO_WHILE') {
    const body = measureSeq(t.loopOver ?? [], o);
    const inner = body.blocks.length ? VGAP + body.h : 0;
    return { k: 'loop', t, body, w: Math.max(NODE_W, body.w) + 2 * PAD, h: PAD + NODE_H + inner + PAD };
  }
  if (isSplit(t)) {
    const dynamicUnknown = type === 'FORK_JOIN_DYNAMIC' && !o.dynamicForks?.[t.taskReferenceName];
    const branches = branchesOf(t, o).map((b) => ({ label: b.label, seq: measureSeq(b.tasks, o) }));
    if (dynamicUnknown) {
      // a stand-in for the branches the fork decides at run time
      branches[0].seq = { blocks: [{ k: 'node', kind: 'placeholder', w: NODE_W, h: NODE_H }], w: NODE_W, h: NODE_H };
    }
    const row = branches.reduce((s, b) => s + b.seq.w, 0) + HGAP * Math.max(0, branches.length - 1);
    return { k: 'split', t, branches, w: Math.max(NODE_W, row), h: NODE_H + VGAP + Math.max(0, ...branches.map((b) => b.seq.h)) };
  }
  return { k: 'node', t, kind: 'task', w: NODE_W, h: NODE_H };
}

class Placer {
  nodes: LayoutNode[] = [];
  edges: LayoutEdge[] = [];
  private placeholders = 0;

  node(kind: NodeKind, t: WfTask | undefined, cx: number, y: number, w: number, h: number): LayoutNode {
    const ref = t?.taskReferenceName ?? '';
    const id = kind === 'start' ? '__start' : kind === 'end' ? '__end' : kind === 'placeholder' ? `__dynamic${this.placeholders++}` : kind === 'loop' ? `loop:${ref}` : ref;
    const label = kind === 'start' ? 'start' : kind === 'end' ? 'end' : kind === 'placeholder' ? 'tasks forked at run time' : ref;
    const n: LayoutNode = { id, ref, kind, type: t ? taskType(t) : kind.toUpperCase(), label, x: cx - w / 2, y, w, h, task: t };
    this.nodes.push(n);
    return n;
  }

  /** Extend each exit down, across and into the entry at (tx, ty). */
  connect(exits: Exit[], to: string, tx: number, ty: number): void {
    const midY = ty - VGAP / 2;
    for (const e of exits) {
      const pts = [...e.pts];
      const [px] = pts[pts.length - 1];
      if (px !== tx) pts.push([px, midY], [tx, midY]);
      pts.push([tx, ty]);
      this.edges.push({ from: e.from, to, points: dedupe(pts), label: e.label, labelAt: e.labelAt });
    }
  }

  /** Place a sequence with its column centred on cx from y; returns its entry id and exits. */
  seq(s: Seq, cx: number, y: number, incoming: Exit[]): Exit[] {
    let exits = incoming;
    for (const b of s.blocks) {
      exits = this.block(b, cx, y, exits);
      y += b.h + VGAP;
    }
    return exits;
  }

  block(b: Block, cx: number, y: number, incoming: Exit[]): Exit[] {
    if (b.k === 'node') {
      const n = this.node(b.kind, b.t, cx, y, b.w, b.h);
      this.connect(incoming, n.id, cx, y);
      // a TERMINATE ends the run: nothing follows it
      if (b.t && taskType(b.t) === 'TERMINATE') return [];
      return [{ from: n.id, pts: [[cx, y + b.h]] }];
    }
    if (b.k === 'loop') {
      const box = this.node('loop', b.t, cx, y, b.w, b.h);
      const head = this.node('task', b.t, cx, y + PAD, NODE_W, NODE_H);
      this.connect(incoming, head.id, cx, y + PAD);
      const bottom = y + b.h;
      if (b.body.blocks.length) {
        const ends = this.seq(b.body, cx, y + PAD + NODE_H + VGAP, [{ from: head.id, pts: [[cx, y + PAD + NODE_H]] }]);
        for (const e of ends) {
          const [px] = e.pts[e.pts.length - 1];
          const pts = dedupe([...e.pts, [px, bottom - PAD / 2], [cx, bottom - PAD / 2]]);
          this.edges.push({ from: e.from, to: box.id, points: pts, loop: true });
        }
      }
      // the back edge: up the right side of the box into the loop node
      const rx = box.x + box.w - PAD / 2;
      this.edges.push({
        from: box.id,
        to: head.id,
        loop: true,
        points: [[cx, bottom - PAD / 2], [rx, bottom - PAD / 2], [rx, y + PAD + NODE_H / 2], [cx + NODE_W / 2, y + PAD + NODE_H / 2]],
      });
      return [{ from: box.id, pts: [[cx, bottom]] }];
    }
    const head = this.node('task', b.t, cx, y, NODE_W, NODE_H);
    this.connect(incoming, head.id, cx, y);
    const row = b.branches.reduce((s, br) => s + br.seq.w, 0) + HGAP * Math.max(0, b.branches.length - 1);
    let left = cx - row / 2;
    const by = y + NODE_H + VGAP;
    const exits: Exit[] = [];
    for (const br of b.branches) {
      const bx = left + br.seq.w / 2;
      left += br.seq.w + HGAP;
      const labelAt: [number, number] = [bx + 5, by - VGAP / 2 + 13];
      const start: Exit = { from: head.id, pts: [[cx, y + NODE_H]], label: br.label, labelAt };
      if (br.seq.blocks.length === 0) {
        // an empty branch (e.g. a default case with no tasks) passes straight through
        exits.push({ from: head.id, pts: dedupe([[cx, y + NODE_H], [cx, by - VGAP / 2], [bx, by - VGAP / 2], [bx, by]]), label: br.label, labelAt });
        continue;
      }
      exits.push(...this.seq(br.seq, bx, by, [start]));
    }
    return exits;
  }
}

function dedupe(pts: [number, number][]): [number, number][] {
  return pts.filter((p, i) => i === 0 || p[0] !== pts[i - 1][0] || p[1] !== pts[i - 1][1]);
}

/** Lay out a definition's task list between a start and an end node. */
export function layoutWorkflow(tasks: WfTask[], o: LayoutOptions = {}): Layout {
  const body = measureSeq(tasks, o);
  const seq: Seq = {
    blocks: [{ k: 'node', kind: 'start', w: END_W, h: END_H }, ...body.blocks, { k: 'node', kind: 'end', w: END_W, h: END_H }],
    w: Math.max(END_W, body.w),
    h: END_H * 2 + body.h + VGAP * (body.blocks.length ? 2 : 1),
  };
  const p = new Placer();
  const cx = MARGIN + seq.w / 2;
  p.seq(seq, cx, MARGIN, []);
  return { width: seq.w + 2 * MARGIN, height: seq.h + 2 * MARGIN, nodes: p.nodes, edges: p.edges };
}
