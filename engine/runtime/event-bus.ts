/** A typed publish/subscribe bus for engine events (metrics and logs subscribe). */
import type { EngineEvent, EngineEventName, EngineEvents } from '../core/events';

type Handler<K extends EngineEventName> = (data: EngineEvents[K]) => void;

export class EventBus {
  private readonly handlers = new Map<string, Array<(d: unknown) => void>>();

  on<K extends EngineEventName>(type: K, fn: Handler<K>): () => void {
    const list = this.handlers.get(type) ?? [];
    list.push(fn as (d: unknown) => void);
    this.handlers.set(type, list);
    return () => this.handlers.set(type, (this.handlers.get(type) ?? []).filter((h) => h !== fn));
  }

  publish(e: EngineEvent): void {
    for (const h of this.handlers.get(e.type) ?? []) {
      try {
        h(e.data);
      } catch {
        // a subscriber's fault must never break the engine
      }
    }
  }
}
