/** Shared set-up for the in-process HTTP tests: one Baton app per file, supertest against it. */
import request from 'supertest';
import { createTestBaton } from '../helpers/baton';
import type { BatonServer } from '../../engine/server';

export interface Api {
  baton: BatonServer;
  http: ReturnType<typeof request>;
  close(): Promise<void>;
}

export function createApi(env: Record<string, string> = {}): Api {
  const baton = createTestBaton({ env });
  return { baton, http: request(baton.app), close: () => baton.close() };
}

/** A one-node SIMPLE workflow definition. */
export function simpleDef(name: string, version = 1, taskNames: string[] = [`${name}_task`]): Record<string, unknown> {
  return {
    name,
    version,
    timeoutSeconds: 0,
    tasks: taskNames.map((t) => ({ name: t, taskReferenceName: `${t}_ref`, type: 'SIMPLE', inputParameters: { x: '${workflow.input.x}' } })),
  };
}

/** Register a workflow (and its worker task defs, no retries) and start one run; returns its id. */
export async function registerAndStart(api: Api, name: string, taskNames: string[] = [`${name}_task`], input: Record<string, unknown> = { x: 1 }): Promise<string> {
  await api.http.post('/api/metadata/taskdefs').send(taskNames.map((n) => ({ name: n, retryCount: 0, responseTimeoutSeconds: 60 }))).expect(200);
  await api.http.post('/api/metadata/workflow?overwrite=true').send(simpleDef(name, 1, taskNames)).expect(200);
  const res = await api.http.post('/api/workflow').send({ name, version: 1, input }).expect(200);
  return res.text;
}

/** Poll one task of the given type (batch poll, no wait). */
export async function pollOne(api: Api, taskType: string, workerId = 'w1'): Promise<Record<string, any>> {
  const res = await api.http.get(`/api/tasks/poll/batch/${taskType}?workerid=${workerId}&count=1&timeout=0`).expect(200);
  expect(res.body).toHaveLength(1);
  return res.body[0];
}

/** Expect Conductor's ErrorResponse with the given status (and message, when given). */
export function expectError(res: request.Response, status: number, message?: string | RegExp): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.body.status).toBe(status);
  expect(res.body.retryable).toBe(false);
  if (typeof message === 'string') expect(res.body.message).toBe(message);
  else if (message) expect(res.body.message).toMatch(message);
}

/** Expect a 400 validation failure naming the given paths. */
export function expectViolations(res: request.Response, paths: string[]): void {
  expectError(res, 400, 'Validation failed, check below errors for detail.');
  expect(res.body.instance).toBeUndefined();
  const got = (res.body.validationErrors as { path: string }[]).map((v) => v.path);
  for (const p of paths) expect(got).toContain(p);
}
