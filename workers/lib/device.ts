/**
 * How a task names a device: an id, its host, the espota port and the HTTP base URL of its
 * info/health/OTA endpoints. Workflows build this from `device_ip` and friends (seed runbook).
 */
import { z } from 'zod';

export const DeviceSchema = z
  .object({
    id: z.string().min(1).optional(),
    host: z.string().min(1),
    otaPort: z.coerce.number().int().min(1).max(65535).default(3232),
    httpPort: z.coerce.number().int().min(1).max(65535).default(80),
    /** Overrides http://host:httpPort. */
    baseUrl: z.string().url().optional(),
  })
  .transform((d) => ({ ...d, id: d.id ?? d.host, baseUrl: d.baseUrl ?? `http://${d.host.includes(':') ? `[${d.host}]` : d.host}:${d.httpPort}` }));

export type Device = z.output<typeof DeviceSchema>;
