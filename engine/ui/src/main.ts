/** Entry point of Baton's inspection UI: routes, the sign-in prompt, the header. */
import { api, onCredentialsNeeded, onTokenChange, signOut, token } from './api.js';
import { h, modal } from './dom.js';
import { route, startRouter, navigate } from './router.js';
import { executionsPage } from './pages/executions.js';
import { executionPage } from './pages/execution.js';
import { definitionsPage, taskDefPage, workflowDefPage } from './pages/definitions.js';
import { queuesPage } from './pages/queues.js';

route('/', 'executions', executionsPage);
route('/executions', 'executions', executionsPage);
route('/execution/:id', 'executions', executionPage);
route('/definitions', 'definitions', definitionsPage);
route('/definitions/workflow/:name', 'definitions', workflowDefPage);
route('/definitions/task/:name', 'definitions', taskDefPage);
route('/queues', 'queues', queuesPage);

const account = document.getElementById('account')!;

function renderAccount(): void {
  account.replaceChildren();
  if (!token()) return;
  account.append(
    h(
      'button',
      {
        type: 'button',
        class: 'small',
        onclick: () => {
          signOut();
          navigate(location.pathname + location.search, true);
        },
      },
      'Sign out',
    ),
  );
}

onCredentialsNeeded(async (problem) => {
  const v = await modal({
    title: 'Sign in',
    text: problem ?? 'This Baton requires a key. Enter the key id and secret (BATON_AUTH_KEY_ID / BATON_AUTH_KEY_SECRET).',
    fields: [
      { name: 'keyId', label: 'Key id', required: true },
      { name: 'keySecret', label: 'Key secret', type: 'password', required: true },
    ],
    ok: 'Sign in',
    cancellable: false,
  });
  return { keyId: String(v?.keyId ?? ''), keySecret: String(v?.keySecret ?? '') };
});

onTokenChange(renderAccount);
renderAccount();
startRouter(document.getElementById('app')!);
api.version().then(
  (v) => {
    document.getElementById('version')!.textContent = `v${v}`;
  },
  () => undefined,
);
