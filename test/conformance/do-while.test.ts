/** DO_WHILE: iterations with __N refs, output keyed by iteration, run-at-least-once, nested SWITCH/FORK, keepLastN. */
import { shape, simple, task } from './lib/client';
import { T, useConductor, workerDefs } from './lib/setup';

describe('DO_WHILE', () => {
  const c = useConductor();

  const cond = "if ($.loop['iteration'] < $.n) { true; } else { false; }";

  it('runs N iterations: refs get __1, __2, __3 and the output is keyed by iteration number', async () => {
    const { api } = c;
    const [w, after] = await workerDefs(api, 2);
    const { id } = await api.run(
      {
        tasks: [
          { name: 'loop', taskReferenceName: 'loop', type: 'DO_WHILE', inputParameters: { n: '${workflow.input.n}' }, loopCondition: cond, loopOver: [simple('t', w, { i: '${loop.output.iteration}' })] },
          simple('after', after, { last: '${t.output.v}' }),
        ],
      },
      { n: 3 },
    );
    let wf = await api.workflow(id);
    expect(shape(wf)).toEqual([
      ['loop', 'DO_WHILE', 'IN_PROGRESS'],
      ['t__1', w, 'SCHEDULED'],
    ]);
    expect(task(wf, 'loop').outputData.iteration).toBe(1);
    for (let i = 1; i <= 3; i++) {
      const t = await api.pollUntil(w);
      expect(t.referenceTaskName).toBe(`t__${i}`);
      expect(t.iteration).toBe(i);
      expect(t.inputData).toEqual({ i });
      await api.update(t, 'COMPLETED', { v: i * 10 });
    }
    const a = await api.pollUntil(after);
    expect(a.inputData).toEqual({ last: 30 });
    await api.update(a, 'COMPLETED');
    wf = await api.waitForEnd(id);
    expect(wf.status).toBe('COMPLETED');
    expect(shape(wf)).toEqual([
      ['loop', 'DO_WHILE', 'COMPLETED'],
      ['t__1', w, 'COMPLETED'],
      ['t__2', w, 'COMPLETED'],
      ['t__3', w, 'COMPLETED'],
      ['after', after, 'COMPLETED'],
    ]);
    const loop = task(wf, 'loop');
    expect(loop.iteration).toBe(3);
    expect(loop.outputData).toEqual({ iteration: 3, '1': { t: { v: 10 } }, '2': { t: { v: 20 } }, '3': { t: { v: 30 } } });
  }, T);

  it('a condition false after the first iteration still runs the body once', async () => {
    const { api } = c;
    const [w] = await workerDefs(api, 1);
    const { id } = await api.run({ tasks: [{ name: 'loop', taskReferenceName: 'loop', type: 'DO_WHILE', inputParameters: {}, loopCondition: 'false', loopOver: [simple('t', w)] }] });
    await api.work(w, 'COMPLETED', { once: true });
    const wf = await api.waitForEnd(id);
    expect(wf.status).toBe('COMPLETED');
    expect(shape(wf)).toEqual([
      ['loop', 'DO_WHILE', 'COMPLETED'],
      ['t__1', w, 'COMPLETED'],
    ]);
    expect(task(wf, 'loop').outputData).toEqual({ iteration: 1, '1': { t: { once: true } } });
    expect(await api.poll(w)).toBeUndefined();
  }, T);

  it('a SWITCH inside the loop picks a branch per iteration', async () => {
    const { api } = c;
    const [odd, even] = await workerDefs(api, 2);
    const { id } = await api.run(
      {
        tasks: [
          {
            name: 'loop',
            taskReferenceName: 'loop',
            type: 'DO_WHILE',
            inputParameters: { n: 2 },
            loopCondition: cond,
            loopOver: [
              {
                name: 'sw',
                taskReferenceName: 'sw',
                type: 'SWITCH',
                evaluatorType: 'javascript',
                expression: "$.i % 2 == 1 ? 'odd' : 'even'",
                inputParameters: { i: '${loop.output.iteration}' },
                decisionCases: { odd: [simple('o', odd)], even: [simple('e', even)] },
              },
            ],
          },
        ],
      },
      {},
    );
    await api.work(odd, 'COMPLETED', { k: 'o1' });
    await api.work(even, 'COMPLETED', { k: 'e2' });
    const wf = await api.waitForEnd(id);
    expect(wf.status).toBe('COMPLETED');
    expect(shape(wf)).toEqual([
      ['loop', 'DO_WHILE', 'COMPLETED'],
      ['sw__1', 'SWITCH', 'COMPLETED'],
      ['o__1', odd, 'COMPLETED'],
      ['sw__2', 'SWITCH', 'COMPLETED'],
      ['e__2', even, 'COMPLETED'],
    ]);
    expect(task(wf, 'sw__2').outputData).toEqual({ evaluationResult: ['even'], selectedCase: 'even' });
    expect(task(wf, 'loop').outputData).toEqual({
      iteration: 2,
      '1': { sw: { evaluationResult: ['odd'], selectedCase: 'odd' }, o: { k: 'o1' } },
      '2': { sw: { evaluationResult: ['even'], selectedCase: 'even' }, e: { k: 'e2' } },
    });
  }, T);

  it('a FORK inside the loop: fork__N, branches and join__N per iteration; join output keyed by suffixed refs', async () => {
    const { api } = c;
    const [x, y] = await workerDefs(api, 2);
    const { id } = await api.run({
      tasks: [
        {
          name: 'loop',
          taskReferenceName: 'loop',
          type: 'DO_WHILE',
          inputParameters: { n: 2 },
          loopCondition: cond,
          loopOver: [
            { name: 'fork', taskReferenceName: 'fork', type: 'FORK_JOIN', forkTasks: [[simple('x', x)], [simple('y', y)]] },
            { name: 'join', taskReferenceName: 'join', type: 'JOIN', joinOn: ['x', 'y'] },
          ],
        },
      ],
    });
    for (let i = 1; i <= 2; i++) {
      await api.work(x, 'COMPLETED', { x: i });
      await api.work(y, 'COMPLETED', { y: i });
    }
    const wf = await api.waitForEnd(id);
    expect(wf.status).toBe('COMPLETED');
    expect(shape(wf)).toEqual([
      ['loop', 'DO_WHILE', 'COMPLETED'],
      ['fork__1', 'FORK', 'COMPLETED'],
      ['x__1', x, 'COMPLETED'],
      ['y__1', y, 'COMPLETED'],
      ['join__1', 'JOIN', 'COMPLETED'],
      ['fork__2', 'FORK', 'COMPLETED'],
      ['x__2', x, 'COMPLETED'],
      ['y__2', y, 'COMPLETED'],
      ['join__2', 'JOIN', 'COMPLETED'],
    ]);
    expect(task(wf, 'join__2').outputData).toEqual({ x__2: { x: 2 }, y__2: { y: 2 } });
    expect(task(wf, 'loop').outputData['2']).toEqual({ fork: {}, x: { x: 2 }, y: { y: 2 }, join: { x__2: { x: 2 }, y__2: { y: 2 } } });
  }, T);

  it('keepLastN drops the output and the task rows of older iterations', async () => {
    const { api } = c;
    const [w] = await workerDefs(api, 1);
    const { id } = await api.run({
      tasks: [{ name: 'loop', taskReferenceName: 'loop', type: 'DO_WHILE', inputParameters: { n: 4, keepLastN: 2 }, loopCondition: cond, loopOver: [simple('t', w)] }],
    });
    for (let i = 1; i <= 4; i++) await api.work(w, 'COMPLETED', { i });
    const wf = await api.waitForEnd(id);
    expect(wf.status).toBe('COMPLETED');
    expect(shape(wf)).toEqual([
      ['loop', 'DO_WHILE', 'COMPLETED'],
      ['t__3', w, 'COMPLETED'],
      ['t__4', w, 'COMPLETED'],
    ]);
    expect(task(wf, 'loop').outputData).toEqual({ iteration: 4, '3': { t: { i: 3 } }, '4': { t: { i: 4 } } });
  }, T);

  it('a failed loop task (no retries) fails the workflow', async () => {
    const { api } = c;
    const [w] = await workerDefs(api, 1);
    const { id } = await api.run({ tasks: [{ name: 'loop', taskReferenceName: 'loop', type: 'DO_WHILE', inputParameters: { n: 3 }, loopCondition: cond, loopOver: [simple('t', w)] }] });
    await api.work(w, 'COMPLETED');
    await api.work(w, 'FAILED', {}, 'iteration 2 broke');
    const wf = await api.waitForEnd(id);
    expect(wf.status).toBe('FAILED');
    expect(wf.reasonForIncompletion).toContain('iteration 2 broke');
    expect(task(wf, 't__2').status).toBe('FAILED');
    expect(['CANCELED', 'FAILED']).toContain(task(wf, 'loop').status);
    expect(wf.tasks.some((t) => t.referenceTaskName === 't__3')).toBe(false);
  }, T);
});
