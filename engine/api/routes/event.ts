/** /api/event: event handler CRUD (Conductor's EventResource). */
import { Router } from 'express';
import type { Engine } from '../../runtime/engine';
import { ConflictError, NotFoundError } from '../../core/errors';
import { validateEventHandler, withEventHandlerDefaults } from '../../core/event-handler';
import { boolParam, throwIfAny } from '../validate';
import { withMethodNotAllowed } from '../errors';

export function eventRoutes(engine: Engine): Router {
  const r = Router();
  const store = engine.store;

  r.get('/', (_req, res) => {
    res.json(store.listEventHandlers());
  });

  r.post('/', (req, res) => {
    throwIfAny(validateEventHandler(req.body, 'addEventHandler.eventHandler'));
    const h = withEventHandlerDefaults(req.body);
    engine.tx(() => {
      if (store.getEventHandler(h.name)) throw new ConflictError(`EventHandler with name ${h.name} already exists!`);
      store.putEventHandler(h);
    });
    res.status(200).end();
  });

  r.put('/', (req, res) => {
    throwIfAny(validateEventHandler(req.body, 'updateEventHandler.eventHandler'));
    const h = withEventHandlerDefaults(req.body);
    engine.tx(() => {
      if (!store.getEventHandler(h.name)) throw new NotFoundError(`EventHandler with name ${h.name} not found!`);
      store.putEventHandler(h);
    });
    res.status(200).end();
  });

  r.delete('/:name', (req, res) => {
    const name = req.params.name;
    if (!engine.tx(() => store.deleteEventHandler(name))) throw new NotFoundError(`EventHandler with name ${name} not found!`);
    res.status(200).end();
  });

  r.get('/:event', (req, res) => {
    res.json(store.eventHandlersFor(req.params.event, boolParam(req.query.activeOnly, true)));
  });

  return withMethodNotAllowed(r);
}
